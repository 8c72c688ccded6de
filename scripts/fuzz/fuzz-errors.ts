/** A case that used more CPU than a case may (a hang or a blow-up in some layer). */
export class SlowCase extends Error {
  override name = 'SlowCase';
}

/** Heap in use above the run's bound when sampled (state that is not bounded by its caps). */
export class HeapExceeded extends Error {
  override name = 'HeapExceeded';
}
