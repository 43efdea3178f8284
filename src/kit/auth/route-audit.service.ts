import { Injectable, OnModuleInit } from '@nestjs/common';
import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
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
 * Boot-time audit (docs/threat-model.md §5): every mapped route declares exactly one of
 * `@Public()`, `@JwtAuth()` or `@ApiKeyAuth()`, on the handler or on its controller. A route with none, or
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

  /**
   * Every route with its declaration, for the audit, the API-key scope policy and tests that
   * walk the routes.
   */
  routes(): AuditedRoute[] {
    return RouteAuditService.routesOf(
      this.discovery.getControllers().map((wrapper) => wrapper.metatype),
      this.scanner,
    );
  }

  /**
   * The routes of these controller classes, read from their metadata alone: it needs no
   * instance, so it also serves before the app is initialised and outside it.
   */
  static routesOf(
    controllers: readonly unknown[],
    scanner: MetadataScanner = new MetadataScanner(),
  ): AuditedRoute[] {
    const out: AuditedRoute[] = [];
    for (const metatype of new Set(controllers)) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as object;
      const base = RouteAuditService.paths(Reflect.getMetadata(PATH_METADATA, metatype));
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[methodName] as object;
        const routePath = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
        if (routePath === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const security = (Reflect.getMetadata(ROUTE_SECURITY, handler) ??
          Reflect.getMetadata(ROUTE_SECURITY, metatype)) as RouteSecurity | undefined;
        for (const b of base) {
          for (const p of RouteAuditService.paths(routePath)) {
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

  /**
   * The controllers a module and its imports mount, from module metadata alone (nothing is
   * instantiated): for a process that needs the app's routes without running it, the key CLI.
   * `test/routes.e2e-spec.ts` checks it finds exactly the routes the running app has.
   */
  static controllersIn(root: Type | DynamicModule): Type[] {
    const controllers = new Set<Type>();
    const seen = new Set<unknown>();
    const visit = (entry: unknown): void => {
      if (typeof entry === 'object' && entry !== null && 'forwardRef' in entry) {
        visit((entry as ForwardReference<() => unknown>).forwardRef());
        return;
      }
      if (seen.has(entry) || entry === null || entry === undefined) return;
      seen.add(entry);
      const dynamic =
        typeof entry === 'object' && 'module' in entry ? (entry as DynamicModule) : null;
      const module = dynamic ? dynamic.module : entry;
      if (typeof module !== 'function') return;
      const own = (key: string): unknown[] =>
        (Reflect.getMetadata(key, module) as unknown[] | undefined) ?? [];
      for (const c of [...own(MODULE_METADATA.CONTROLLERS), ...(dynamic?.controllers ?? [])]) {
        controllers.add(c as Type);
      }
      for (const i of [...own(MODULE_METADATA.IMPORTS), ...(dynamic?.imports ?? [])]) visit(i);
    };
    visit(root);
    return [...controllers];
  }

  private static paths(value: unknown): string[] {
    const list = Array.isArray(value) ? value : [value ?? ''];
    return list.map((v) => String(v).replace(/^\/+|\/+$/g, ''));
  }
}
