import autocannon from 'autocannon';

export interface LoadTarget {
  url: string;
  path: string;
  method?: 'GET' | 'PUT';
  body?: string;
  headers?: Record<string, string>;
  /** When set, each request gets its own Authorization value (defeats any per-token cache). */
  authorizationPerRequest?: () => string;
}

export interface LoadSample {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  statusCounts: Record<string, number>;
  errors: number;
  /** Server CPU time per answered request, in microseconds (filled in by the caller). */
  cpuMicrosPerRequest?: number;
}

/** autocannon, in this process: a fixed number of connections, no pipelining, for N seconds. */
export class LoadGenerator {
  constructor(
    private readonly connections: number,
    private readonly seconds: number,
  ) {}

  async run(target: LoadTarget, seconds = this.seconds): Promise<LoadSample> {
    const perRequest = target.authorizationPerRequest;
    const result = await autocannon({
      url: `${target.url}${target.path}`,
      connections: this.connections,
      duration: seconds,
      pipelining: 1,
      timeout: 10,
      method: target.method ?? 'GET',
      ...(target.body === undefined ? {} : { body: target.body }),
      headers: target.headers ?? {},
      ...(perRequest
        ? {
            requests: [
              {
                setupRequest: (request) => ({
                  ...request,
                  headers: { ...request.headers, authorization: perRequest() },
                }),
              },
            ],
          }
        : {}),
    });
    const statusCounts: Record<string, number> = {};
    let completed = 0;
    for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
      statusCounts[status] = count;
      completed += count;
    }
    return {
      requestsPerSecond: completed / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      statusCounts,
      errors: result.errors,
    };
  }
}
