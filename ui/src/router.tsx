/** Page addresses in the browser's history: links move without reloading, back and forward work. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export function navigate(href: string): void {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path and query, following navigation. */
export function useLocation(): URL {
  const [url, setUrl] = useState(() => new URL(location.href));
  useEffect(() => {
    const moved = () => setUrl(new URL(location.href));
    addEventListener('popstate', moved);
    return () => removeEventListener('popstate', moved);
  }, []);
  return url;
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string }) {
  const follow = (e: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} title={props.title} onClick={follow}>
      {props.children}
    </a>
  );
}

export const jobHref = (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`;
export const unitHref = (jobId: string, key: string) => `${jobHref(jobId)}/units/${encodeURIComponent(key)}`;
