import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ROUTE_SECURITY, routeDeclarationsOf, RouteSecurity } from './route-security.decorator';

export interface AuditedRoute {
  /** `Controller.method` */
  name: string;
  method: string;
  /** Express-style template, for example `/items/:id`. */
  path: string;
  /** What the guards enforce (handler's declaration, else the controller's). */
  security?: RouteSecurity;
  /** Every declaration found on the handler and its controller. */
  declarations: RouteSecurity[];
  controller: object;
  handler: object;
}

/**
 * Boot-time audit (DESIGN.md P3): every mapped route declares exactly one of `@Public()`,
 * `@JwtAuth()` or `@ApiKeyAuth()`, on the handler or on its controller. A route with none, or
 * with more than one (two schemes, or `@Public()` plus a scheme, on the handler and its class
 * together), stops the app with a message naming it, before it ever listens. With two, the
 * guards would enforce one and the document could show the other, or both.
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
  routes(): AuditedRoute[] {
    const out: AuditedRoute[] = [];
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
              declarations: routeDeclarationsOf(metatype, handler),
              controller: metatype,
              handler,
            });
          }
        }
      }
    }
    return out;
  }

  private audit(): string[] {
    const offenders: string[] = [];
    for (const r of this.routes()) {
      const route = `${r.name} (${r.method} ${r.path})`;
      if (r.declarations.length === 0 || r.security === undefined) {
        offenders.push(`${route}: no declaration`);
      } else if (r.declarations.length > 1) {
        const schemes = r.declarations.map((d) => d.scheme).join(', ');
        offenders.push(`${route}: ${r.declarations.length} declarations (${schemes})`);
      }
    }
    return offenders;
  }

  private paths(value: unknown): string[] {
    const list = Array.isArray(value) ? value : [value ?? ''];
    return list.map((v) => String(v).replace(/^\/+|\/+$/g, ''));
  }
}
