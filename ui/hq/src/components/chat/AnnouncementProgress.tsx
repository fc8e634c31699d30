// "1 / 2 acknowledged" and "2 / 2 read" as bars, for the notices list.

import type { AnnouncementSummary } from "../../api/types/AnnouncementSummary";
import { useSession } from "../ui";

function Bar({ part, whole, label, read, testid }: { part: number; whole: number; label: string; read?: boolean; testid: string }) {
  const pct = whole > 0 ? Math.round((100 * part) / whole) : 0;
  return (
    <span class="progress" data-testid={testid} data-part={part} data-whole={whole}>
      <span class={`progress-bar ${read ? "read" : ""}`}>
        <span style={{ width: `${pct}%` }} />
      </span>
      <span class="small">{label}</span>
    </span>
  );
}

export function AckProgress({ a }: { a: AnnouncementSummary }) {
  const { t } = useSession();
  if (!a.requires_ack) return <span class="muted small">{t("notices.no_ack")}</span>;
  return <Bar part={a.acknowledged} whole={a.audience} label={t("notices.acked", { acked: a.acknowledged, total: a.audience })} testid="ack-progress" />;
}

export function ReadProgress({ a }: { a: AnnouncementSummary }) {
  const { t } = useSession();
  return <Bar part={a.read} whole={a.audience} read label={t("notices.read", { read: a.read, total: a.audience })} testid="read-progress" />;
}
