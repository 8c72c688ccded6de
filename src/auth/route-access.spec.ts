import { Controller, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { API_ROLES, roleReaches, rolesReaching } from './roles';
import { routeAccess } from './route-access';
import { RouteAccessCheck } from './route-access.check';

describe('roles and the route access table', () => {
  it('roles are ordered: each reaches its own level and those below; an unknown stored role reaches nothing', () => {
    const matrix = API_ROLES.map((have) => API_ROLES.map((need) => (roleReaches(have, need) ? 1 : 0)).join(''));
    // rows: read, analyst, admin; columns: needs read, analyst, admin
    expect(matrix).toEqual(['100', '110', '111']);
    expect(API_ROLES.map((need) => roleReaches('root', need))).toEqual([false, false, false]);
    expect(API_ROLES.map(rolesReaching)).toEqual(['read or analyst or admin', 'analyst or admin', 'admin']);
  });

  it('looks routes up by method and registered path; HEAD is GET; nothing else matches', () => {
    expect(routeAccess('GET', '/captures/:id/pcap')).toBe('analyst');
    expect(routeAccess('HEAD', '/alerts/:id/pcap')).toBe('analyst');
    expect(routeAccess('GET', '/health')).toBe('public');
    expect(routeAccess('GET', '/captures/7d9f3c2a-4b1e-4c8d-9a6f-0e1d2c3b4a59/pcap')).toBeUndefined();
    expect(routeAccess('GET', 'constructor')).toBeUndefined();
    expect(routeAccess('PUT', '/captures')).toBeUndefined();
  });

  it('the API does not start with a controller route the table does not declare', async () => {
    @Controller('health')
    class Declared {
      @Get()
      ok(): string {
        return 'ok';
      }
    }
    @Controller('undeclared')
    class Undeclared {
      @Post(':id/thing')
      thing(): string {
        return 'x';
      }
    }
    const build = async (controllers: Array<new () => object>) => {
      const mod = await Test.createTestingModule({
        imports: [DiscoveryModule],
        controllers,
        providers: [RouteAccessCheck],
      }).compile();
      const app = mod.createNestApplication({ logger: false });
      try {
        await app.init();
      } finally {
        await app.close();
      }
    };
    await expect(build([Declared])).resolves.toBeUndefined();
    await expect(build([Declared, Undeclared])).rejects.toThrow(
      'routes without a declared access (add them to src/auth/route-access.ts): POST /undeclared/:id/thing',
    );
  });
});
