// Messages of a channel that match a search (the hub's full-text index);
// a query the index cannot read comes back as the hub's 400 message.

import { useEffect, useState } from "preact/hooks";

import type { ChatMessage } from "../../api/types/ChatMessage";
import { chatApi } from "../../chat/api";
import { mergeMessages } from "../../chat/logic";
import { ErrorBanner, useSession } from "../ui";
import { MessageBubble } from "./MessageBubble";

export function SearchResults({ channel, query, onClose }: { channel: string; query: string; onClose: () => void }) {
  const { t } = useSession();
  const [found, setFound] = useState<ChatMessage[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setFound(null);
    setError(null);
    chatApi.search(query, channel, ctl.signal).then(
      (page) => setFound(mergeMessages([], page.messages)),
      (e: unknown) => !ctl.signal.aborted && setError(e),
    );
    return () => ctl.abort();
  }, [channel, query]);
  return (
    <div class="conversation" data-testid="search-results">
      <div class="search-head">
        <span>{found ? t("chat.search_results", { n: found.length, q: query }) : t("common.loading")}</span>
        <button type="button" class="btn btn-sm" onClick={onClose}>
          {t("chat.search_clear")}
        </button>
      </div>
      <ErrorBanner error={error} />
      <ol class="thread">
        {found?.map((m) => <MessageBubble key={m.id} message={m} onTicketMoved={() => undefined} />)}
      </ol>
    </div>
  );
}
