// What the driver needs to trust the tracking at a glance: online or not, the
// GPS fix, whether the screen stays on, and how many positions wait on the
// phone (with "send now" while any do).

import type { T } from "../i18n";
import type { SenderStatus } from "../track/sender";
import type { TrackerState } from "../track/tracker";

export function StatusStrip(props: {
  t: T;
  online: boolean;
  sender: SenderStatus;
  tracker: TrackerState;
  nowMs: number;
  onSendNow: () => void;
}) {
  const { t, online, sender, tracker } = props;
  const hubDown = online && sender.failures > 0 && !sender.lastErrorStatus;
  const net = !online ? "offline" : hubDown ? "unreachable" : "online";
  const gps =
    tracker.gps === "ok" && tracker.last
      ? t("gps.ok", { m: Math.round(tracker.last.accuracy_m ?? 0) })
      : t(`gps.${tracker.gps}` as "gps.waiting");
  const refused = Object.values(sender.refused).reduce((a, b) => a + b, 0);
  const retryS =
    sender.retryAtMs !== null ? Math.max(0, Math.ceil((sender.retryAtMs - props.nowMs) / 1000)) : null;
  return (
    <section class="strip" aria-live="polite">
      <div class="chips">
        <span class={`chip chip-${net}`} data-testid="net-state" data-state={net}>
          {net === "offline" ? t("net.offline") : net === "unreachable" ? t("net.hub_unreachable") : t("net.online")}
        </span>
        <span
          class={`chip chip-gps-${tracker.gps}`}
          data-testid="gps-state"
          data-state={tracker.gps}
          data-ts={tracker.last?.ts_ms}
          data-lat={tracker.last?.lat}
          data-lon={tracker.last?.lon}
        >
          {gps}
        </span>
        <span class={`chip chip-wake-${tracker.wake}`} data-testid="wake-state" data-state={tracker.wake}>
          {t(`wake.${tracker.wake}` as "wake.on")}
        </span>
      </div>
      <div class="buffer" data-testid="buffer" data-count={sender.buffered}>
        <span class={sender.buffered > 0 ? "buffer-waiting" : "buffer-empty"}>
          {sender.buffered > 0 ? t("buffer.waiting", { n: sender.buffered }) : t("buffer.empty")}
        </span>
        {retryS !== null && sender.buffered > 0 ? <span class="muted"> · {t("buffer.retry", { s: retryS })}</span> : null}
        {sender.buffered > 0 ? (
          <button type="button" class="btn-small" data-testid="send-now" disabled={sender.sending} onClick={props.onSendNow}>
            {sender.sending ? t("buffer.sending") : t("buffer.send_now")}
          </button>
        ) : null}
      </div>
      {/* The hub's own words when it answered with an error; "not reached" is the chip's. */}
      {sender.lastError && sender.lastErrorStatus && sender.buffered > 0 ? (
        <div class="muted small" data-testid="send-error">
          {sender.lastError}
        </div>
      ) : null}
      {refused > 0 ? (
        <div class="muted small" data-testid="refused" data-count={refused}>
          {t("buffer.refused", { n: refused })}
        </div>
      ) : null}
      {tracker.gps === "denied" ? <div class="alert">{t("gps.denied")}</div> : null}
    </section>
  );
}
