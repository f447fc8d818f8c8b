/** Units that ended, as a bar: succeeded, failed, otherwise ended (cancelled, expired). */
export function Progress(props: { total: number; succeeded: number; failed: number; settled: number }) {
  const { total, succeeded, failed, settled } = props;
  const share = (n: number) => `${total ? (100 * n) / total : 0}%`;
  return (
    <div
      class="progress"
      title={`${settled} of ${total} units ended`}
      role="progressbar"
      aria-valuenow={settled}
      aria-valuemax={total}
    >
      <span class="ok" style={{ width: share(succeeded) }} />
      <span class="bad" style={{ width: share(failed) }} />
      <span class="other" style={{ width: share(Math.max(settled - succeeded - failed, 0)) }} />
    </div>
  );
}
