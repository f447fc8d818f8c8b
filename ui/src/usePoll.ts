/**
 * Data from the API, loaded now and again every `every` ms while the page shows (0: once; a
 * function decides from what came back, e.g. only while a unit runs).
 */
import { useEffect, useState } from 'preact/hooks';

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], every: number | ((data: T) => number) = 0) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      let wait = typeof every === 'number' ? every : 0;
      try {
        const value = await load();
        if (!live) return;
        setData(value);
        setError(null);
        if (typeof every === 'function') wait = every(value);
      } catch (err) {
        if (live) setError(err);
      }
      if (live && wait) timer = setTimeout(() => void tick(), wait);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps); // what the load depends on: the caller names it
  return { data, error, setData };
}
