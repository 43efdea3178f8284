import { FixedWindows } from './fixed-windows';

describe('FixedWindows', () => {
  const WINDOW = 10_000;
  let clock: number;
  let windows: FixedWindows;

  beforeEach(() => {
    clock = Date.UTC(2030, 0, 1);
    windows = new FixedWindows(WINDOW, () => clock);
  });

  it('when a key is hit within its window, the count rises and the time left shrinks', () => {
    expect(windows.hit('a')).toEqual({ hits: 1, resetMs: WINDOW });
    clock += 2500;
    expect(windows.hit('a')).toEqual({ hits: 2, resetMs: WINDOW - 2500 });
    clock += WINDOW - 2501;
    expect(windows.hit('a')).toEqual({ hits: 3, resetMs: 1 });
  });

  it('when its window has ended, to the millisecond, the count starts again from one', () => {
    windows.hit('a');
    windows.hit('a');
    clock += WINDOW - 1;
    expect(windows.hit('a')).toEqual({ hits: 3, resetMs: 1 });
    clock += 1;
    expect(windows.hit('a')).toEqual({ hits: 1, resetMs: WINDOW });
  });

  it('when two keys are hit, each has its own count and window', () => {
    windows.hit('a');
    clock += 4000;
    expect(windows.hit('b')).toEqual({ hits: 1, resetMs: WINDOW });
    expect(windows.hit('a')).toEqual({ hits: 2, resetMs: WINDOW - 4000 });
  });

  describe('when keys outlive the sweep that runs once per window, from the first hit', () => {
    const start = Date.UTC(2030, 0, 1);
    beforeEach(() => {
      windows.hit('first'); // the first sweep runs now; the next is due one window later
      clock = start + WINDOW - 1;
      windows.hit('late'); // survives the next sweep: its window ends at 2 windows - 1
      clock = start + WINDOW;
      windows.hit('swept'); // the sweep is due: 'first' ended exactly now
    });

    it('when the sweep is due, ended windows are forgotten and running ones kept', () => {
      expect(windows.size).toBe(2);
      expect(windows.hit('late')).toEqual({ hits: 2, resetMs: WINDOW - 1 });
      expect(windows.hit('first')).toEqual({ hits: 1, resetMs: WINDOW });
    });

    it('when a window ends before the next sweep is due, it is kept, but counts from one again', () => {
      clock = start + 2 * WINDOW - 1;
      windows.hit('probe');
      // 'late' ended now; the next sweep is due one millisecond later.
      expect(windows.size).toBe(3);
      expect(windows.hit('late')).toEqual({ hits: 1, resetMs: WINDOW });
      clock += 1;
      windows.hit('probe');
      // Due: 'swept' ended now and goes; 'late' and 'probe' started windows later.
      expect(windows.size).toBe(2);
    });
  });

  it('when many clients come and go, the held keys stay bounded by two windows of clients', () => {
    for (let i = 0; i < 10_000; i++) {
      windows.hit(`client-${String(i)}`);
      clock += 10;
    }
    // 100 keys per second of window; a sweep runs once per window.
    expect(windows.size).toBeLessThanOrEqual(2 * (WINDOW / 10));
  });
});
