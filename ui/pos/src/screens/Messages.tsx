// Messages from head office (remote `Message` commands): newest first,
// unread ones highlighted, each marked read by the cashier.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { CashierMessage } from "../api/types/CashierMessage";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, useApp } from "../components/ui";
import { formatDateTime } from "../format";

export function Messages(): JSX.Element {
  const { t, lang, refreshStatus } = useApp();
  const [list, setList] = useState<CashierMessage[] | null>(null);
  const [err, setErr] = useState<UiError | null>(null);

  const load = () => api.messages(false).then(setList, (e: UiError) => setErr(e));
  useEffect(() => {
    void load();
  }, []);

  const read = async (id: string) => {
    try {
      await api.markMessageRead(id);
      refreshStatus();
      await load();
    } catch (e) {
      setErr(e as UiError);
    }
  };

  return (
    <div class="page">
      <h1>{t("messages.title")}</h1>
      <ErrorBox error={err} testid="messages-error" />
      {list === null ? (
        <p class="muted">{t("common.loading")}</p>
      ) : list.length === 0 ? (
        <p class="muted">{t("messages.empty")}</p>
      ) : (
        <div class="stack" data-testid="messages-list">
          {list.map((m) => (
            <div key={m.id} class={`card message ${m.read_ms == null ? "unread" : ""}`} data-testid="message" data-read={String(m.read_ms != null)}>
              <div class="row">
                {m.read_ms == null && <span class="tag tag-accent">{t("messages.unread")}</span>}
                <span class="muted small">{formatDateTime(m.received_ms, lang)}</span>
                <span class="grow" />
                {m.read_ms == null && (
                  <Btn onClick={() => void read(m.id)} testid="message-read">
                    {t("messages.mark_read")}
                  </Btn>
                )}
              </div>
              <p class="message-text">{m.text}</p>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
