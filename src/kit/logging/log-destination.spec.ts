import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { LogDestination } from './log-destination';
import { LoggingModule } from './logging.module';

describe('LogDestination', () => {
  let file: string;
  let fd: number;
  let destinations: LogDestination[];

  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'lp-log-')), 'out.log');
    fd = openSync(file, 'w');
    destinations = [];
  });

  afterEach(() => {
    // Each destination owns the descriptor from here: it stops its flush timer and closes it.
    if (destinations.length === 0) closeSync(fd);
    for (const destination of destinations) destination.close();
  });

  const open = (): LogDestination => {
    const destination = new LogDestination(fd);
    destinations.push(destination);
    return destination;
  };

  const written = (): string => readFileSync(file, 'utf8');

  it('when serving, short lines are buffered instead of written one by one', () => {
    const destination = open();
    destination.write('{"msg":"one"}\n');
    destination.write('{"msg":"two"}\n');
    expect(written()).toBe('');
    destination.flushAndWriteSynchronously();
  });

  it('when a chunk fills, it is written at once, whole lines in order', () => {
    const destination = open();
    const line = `{"msg":"${'x'.repeat(100)}"}\n`;
    for (let i = 0; i < 50; i++) destination.write(line);
    expect(written().length).toBeGreaterThanOrEqual(4096);
    expect(
      written()
        .split('\n')
        .slice(0, -1)
        .every((l) => `${l}\n` === line),
    ).toBe(true);
    destination.flushAndWriteSynchronously();
    expect(written()).toBe(line.repeat(50));
  });

  it('when the service is quiet, buffered lines are written within the flush interval', () => {
    jest.useFakeTimers();
    try {
      const destination = open();
      destination.write('{"msg":"lonely"}\n');
      expect(written()).toBe('');
      jest.advanceTimersByTime(1000);
      expect(written()).toBe('{"msg":"lonely"}\n');
      destination.flushAndWriteSynchronously();
    } finally {
      jest.useRealTimers();
    }
  });

  it('when shutdown begins, the buffer is flushed in order and every later line is written at once', () => {
    const destination = open();
    destination.write('{"msg":"one"}\n');
    destination.write('{"msg":"two"}\n');
    destination.beforeApplicationShutdown();
    expect(written()).toBe('{"msg":"one"}\n{"msg":"two"}\n');
    destination.write('{"msg":"three"}\n');
    expect(written()).toBe('{"msg":"one"}\n{"msg":"two"}\n{"msg":"three"}\n');
    destination.onApplicationShutdown();
    expect(written()).toBe('{"msg":"one"}\n{"msg":"two"}\n{"msg":"three"}\n');
  });

  it('when the format is pretty, each line is buffered like a JSON one and written in its pretty form', async () => {
    const destination = open();
    await destination.useFormat('pretty');
    destination.write('{"level":30,"time":0,"msg":"one"}\n');
    expect(written()).toBe('');
    destination.flushAndWriteSynchronously();
    expect(written()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: one\n$/);
  });

  it('when the format is json, each line is written exactly as pino made it', async () => {
    const destination = open();
    await destination.useFormat('json');
    destination.write('{"level":30,"time":0,"msg":"one"}\n');
    destination.flushAndWriteSynchronously();
    expect(written()).toBe('{"level":30,"time":0,"msg":"one"}\n');
  });

  it('when the app closes, LoggingModule runs the destination shutdown hook', async () => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'silent',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), LoggingModule.forRoot()],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const flush = jest.spyOn(app.get(LogDestination), 'flushAndWriteSynchronously');
    await app.close();
    expect(flush).toHaveBeenCalled();
  });
});

describe('LogDestination, when its descriptor fails', () => {
  let dir: string;
  let report: string;
  let owned: number[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lp-log-broken-'));
    report = join(dir, 'stderr.txt');
    owned = [];
  });

  afterEach(() => {
    for (const fd of owned) closeSync(fd);
  });

  const own = (fd: number): number => {
    owned.push(fd);
    return fd;
  };

  /** A pipe's write end whose reader has gone, as when the log shipper exits. */
  const pipeWithoutReader = (): number => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    return writer;
  };

  /** A descriptor opened read-only: a write to it fails as to a closed one. */
  const readOnly = (): number => {
    const file = join(dir, 'read-only.log');
    writeFileSync(file, '');
    return openSync(file, 'r');
  };

  /** Every write to /dev/full fails as on a full disk. */
  const full = (): number => openSync('/dev/full', 'w');

  const cases: [string, () => number][] = [
    ['EPIPE', pipeWithoutReader],
    ['EBADF', readOnly],
    ['ENOSPC', full],
  ];

  const line = `{"msg":"${'x'.repeat(100)}"}\n`;
  const reported = (): string[] =>
    readFileSync(report, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);

  it.each(cases)(
    'when the shutdown flush fails with %s, no call throws and the failure is reported once',
    (code, openBroken) => {
      const destination = new LogDestination(own(openBroken()), own(openSync(report, 'w')));
      expect(() => {
        destination.write(line);
        destination.beforeApplicationShutdown();
        destination.write(line);
        destination.onApplicationShutdown();
      }).not.toThrow();
      expect(reported()).toEqual([`log destination failed (${code}): later log lines are dropped`]);
    },
  );

  it.each(cases)(
    'when a chunk written while serving fails with %s, no call throws and the failure is reported once',
    (code, openBroken) => {
      const destination = new LogDestination(own(openBroken()), own(openSync(report, 'w')));
      expect(() => {
        for (let i = 0; i < 100; i++) destination.write(line);
        destination.flushAndWriteSynchronously();
        destination.write(line);
      }).not.toThrow();
      expect(reported()).toEqual([`log destination failed (${code}): later log lines are dropped`]);
    },
  );

  it('when standard error is broken too, nothing throws', () => {
    const destination = new LogDestination(own(pipeWithoutReader()), own(readOnly()));
    expect(() => {
      destination.write(line);
      destination.flushAndWriteSynchronously();
    }).not.toThrow();
  });
});
