import { NotFoundException } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/**
 * The one exception every unmatched request is answered with. Nest's own not-found handler
 * builds a new one per request, with the message `Cannot GET /the/raw/path` and a captured
 * stack: capturing a stack is a large part of a 404's cost, and unmapped routes are what
 * scanners and probes hit most. ProblemDetailsFilter reads only its status and
 * class, so one instance, made at load time, serves every request and holds no request's path.
 */
const NOT_FOUND = new NotFoundException();

/**
 * Nest's Express adapter with a cheaper not-found handler. An unmatched request takes Express's
 * error path with NOT_FOUND, reaches Nest's exception layer and the global filter like any other
 * error, and gets the same 404 problem+json. Main and the test apps that serve requests
 * (test/support) are created with it.
 */
export class SharedNotFoundAdapter extends ExpressAdapter {
  override setNotFoundHandler(
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's signature
    handler: Function,
    prefix?: string,
    excludedRoutes?: Parameters<ExpressAdapter['setNotFoundHandler']>[2],
  ): unknown {
    // A global prefix needs Nest's prefix routing (and its excluded routes); this app sets none.
    if (prefix) return super.setNotFoundHandler(handler, prefix, excludedRoutes);
    return this.use((_req: Request, _res: Response, next: NextFunction) => {
      next(NOT_FOUND);
    });
  }
}
