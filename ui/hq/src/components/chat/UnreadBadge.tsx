// The unread total next to "Chat" in the navigation. Mounting it starts the
// live channel list for the signed-in user; it stops at logout.

import { useEffect } from "preact/hooks";

import { chatChannels, useUnreadTotal } from "../../chat/store";
import { useSession } from "../ui";

export function UnreadBadge() {
  const { me, t } = useSession();
  const n = useUnreadTotal();
  useEffect(() => {
    chatChannels.start(me.username);
    return () => chatChannels.stop();
  }, [me.username]);
  if (n === 0) return null;
  return (
    <span class="unread-badge" data-testid="nav-unread" title={t("chat.unread", { n })}>
      {n > 99 ? "99+" : n}
    </span>
  );
}
