import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ROUTE_SECURITY, RouteSecurity } from './route-security.decorator';

/**
 * Boot-time audit (DESIGN.md P3): every mapped route declares exactly one of `@Public()`,
 * `@JwtAuth()` or `@ApiKeyAuth()`. A route with none stops the app, with a message naming it,
 * before it ever listens.
 */
@Injectable()
export class RouteAuditService implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const offenders = this.audit();
    if (offenders.length > 0) {
      throw new Error(
        `Route security audit failed: declare exactly one of @Public(), @JwtAuth(), @ApiKeyAuth() on:\n${offenders.map((o) => `  - ${o}`).join('\n')}`,
      );
    }
  }

  /** Every route with its declaration, for the audit and for tests that walk the routes. */
  routes(): { name: string; method: string; path: string; security?: RouteSecurity }[] {
    const out: { name: string; method: string; path: string; security?: RouteSecurity }[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      const metatype = wrapper.metatype;
      if (!instance || !metatype) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      const base = this.paths(Reflect.getMetadata(PATH_METADATA, metatype));
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[methodName] as object;
        const routePath = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
        if (routePath === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const security = (Reflect.getMetadata(ROUTE_SECURITY, handler) ??
          Reflect.getMetadata(ROUTE_SECURITY, metatype)) as RouteSecurity | undefined;
        for (const b of base) {
          for (const p of this.paths(routePath)) {
            out.push({
              name: `${metatype.name}.${methodName}`,
              method,
              path: `/${[b, p].filter((x) => x.length > 0).join('/')}`.replace(/\/+/g, '/'),
              security,
            });
          }
        }
      }
    }
    return out;
  }

  private audit(): string[] {
    return this.routes()
      .filter((r) => r.security === undefined)
      .map((r) => `${r.name} (${r.method} ${r.path})`);
  }

  private paths(value: unknown): string[] {
    const list = Array.isArray(value) ? value : [value ?? ''];
    return list.map((v) => String(v).replace(/^\/+|\/+$/g, ''));
  }
}
