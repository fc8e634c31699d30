// A request's status and the buttons that move it forward (open → in
// progress → resolved; the hub refuses going back and says why).

import type { Ticket } from "../../api/types/Ticket";
import type { TicketStatus } from "../../api/types/TicketStatus";
import { chatApi } from "../../chat/api";
import { nextStatuses } from "../../chat/logic";
import { Badge, ErrorBanner, dynKey, useSession, useSubmit } from "../ui";

const TONE: Record<TicketStatus, "bad" | "warn" | "good"> = { open: "bad", in_progress: "warn", resolved: "good" };

export function TicketStatusBadge({ status }: { status: TicketStatus }) {
  const { t } = useSession();
  return (
    <Badge tone={TONE[status]} testid="ticket-status">
      {t(dynKey(`chat.status.${status}`))}
    </Badge>
  );
}

export function TicketActions({
  ticket,
  status,
  onMoved,
}: {
  ticket: string;
  status: TicketStatus;
  onMoved: (t: Ticket) => void;
}) {
  const { t } = useSession();
  const move = useSubmit(async (to: TicketStatus) => {
    onMoved(await chatApi.setTicketStatus(ticket, to));
  });
  const next = nextStatuses(status);
  return (
    <span class="ticket-actions">
      <TicketStatusBadge status={status} />
      {next.map((to) => (
        <button
          key={to}
          type="button"
          class="btn btn-sm"
          data-testid={`ticket-${to}`}
          disabled={move.busy}
          onClick={() => void move.run(to)}
        >
          {t(dynKey(`chat.set.${to}`))}
        </button>
      ))}
      {move.error !== null && <ErrorBanner error={move.error} onClose={() => move.setError(null)} />}
    </span>
  );
}
