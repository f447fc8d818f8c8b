/** The dashboard: three pages over /api — jobs, a job (live), a unit (its conversation). */
import { render } from 'preact';
import { JobPage } from './pages/JobPage.js';
import { JobsPage } from './pages/JobsPage.js';
import { UnitPage } from './pages/UnitPage.js';
import { Link, useLocation } from './router.js';
import './style.css';

function App() {
  const url = useLocation();
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (parts.length === 0) page = <JobsPage url={url} />;
  else if (parts[0] === 'jobs' && parts.length === 2) page = <JobPage jobId={parts[1]!} key={parts[1]} />;
  else if (parts[0] === 'jobs' && parts[2] === 'units' && parts.length === 4)
    page = <UnitPage jobId={parts[1]!} unitRef={parts[3]!} key={url.pathname} />;
  else page = <p class="error">No page at {url.pathname}.</p>;
  return (
    <>
      <header class="top">
        <Link href="/" class="brand">
          agentic-batch
        </Link>
        <span class="muted">dashboard</span>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
