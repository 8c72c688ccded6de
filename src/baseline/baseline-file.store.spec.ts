import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyBaselineModel } from '../engine/baseline/baseline-model';
import { BaselineFileStore } from './baseline-file.store';
import { BaselineStoreError } from './baseline-store';

describe('BaselineFileStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-baseline-store-'));

  it('a missing file loads as null; save then load gives the model back, sorted, with no temporary file left', async () => {
    const store = new BaselineFileStore(join(dir, 'lab.json'));
    expect(await store.load('lab')).toBeNull();
    const m = emptyBaselineModel('lab');
    m.macs = [
      { mac: '02:00:00:00:00:02', firstSeen: 1, lastSeen: 2 },
      { mac: '02:00:00:00:00:01', firstSeen: 1, lastSeen: 2 },
    ];
    m.packets = 3;
    await store.save(m);
    const back = await store.load();
    expect(back).toEqual({ ...m, macs: [m.macs[1], m.macs[0]] });
    expect(await store.load('lab')).toEqual(back);
    expect(readdirSync(dir)).toEqual(['lab.json']);
    // Saving again replaces the file whole.
    await store.save({ ...m, packets: 4 });
    expect((JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { packets: number }).packets).toBe(4);
    expect(readdirSync(dir)).toEqual(['lab.json']);
  });

  it('wrong network, corrupt or foreign content and an unwritable place are one-line BaselineStoreErrors', async () => {
    const store = new BaselineFileStore(join(dir, 'lab.json'));
    await expect(store.load('branch')).rejects.toThrow(
      new BaselineStoreError(
        `baseline ${join(dir, 'lab.json')} is for network "lab", not "branch" (use another file or --network lab)`,
      ),
    );
    writeFileSync(join(dir, 'x.json'), '[1,');
    await expect(new BaselineFileStore(join(dir, 'x.json')).load()).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, 'y.json'), JSON.stringify({ ...emptyBaselineModel('lab'), hosts: 'many' }));
    await expect(new BaselineFileStore(join(dir, 'y.json')).load()).rejects.toThrow(/hosts must be an array/);
    const nowhere = new BaselineFileStore(join(dir, 'no', 'such', 'dir.json'));
    await expect(nowhere.save(emptyBaselineModel('lab'))).rejects.toThrow(/cannot write \(no such directory\)$/);
  });
});
