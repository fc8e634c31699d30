// Writing to a store: the text (Enter sends, Shift+Enter a new line), photos
// and PDFs checked here before they go (type, size, how many) and then by
// the hub (whose refusal is shown as it said it), and "as a request" with a
// category. The message id is made once per draft, so sending again after a
// lost answer never writes it twice.

import { useRef, useState } from "preact/hooks";

import type { ChatMessage } from "../../api/types/ChatMessage";
import { chatApi, uploadAttachment } from "../../chat/api";
import { type Problem, TICKET_CATEGORIES, checkFile, checkMessage, formatBytes, uuidv7 } from "../../chat/logic";
import { ErrorBanner, useCode, useSession, useSubmit } from "../ui";
import { PaperclipIcon } from "./FileIcons";

export function Composer({ channel, onSent }: { channel: string; onSent: (m: ChatMessage) => void }) {
  const { t } = useSession();
  const code = useCode();
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [asTicket, setAsTicket] = useState(false);
  const [category, setCategory] = useState<string>("stock");
  const [problem, setProblem] = useState<Problem | null>(null);
  const draftId = useRef<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const send = useSubmit(async () => {
    const wrong = checkMessage(text, files.length);
    if (wrong) {
      setProblem(wrong);
      return;
    }
    setProblem(null);
    draftId.current ??= uuidv7();
    const attachments: string[] = [];
    for (const f of files) attachments.push((await uploadAttachment(f)).sha256);
    const sent = await chatApi.send(channel, {
      id: draftId.current,
      text: text.trim(),
      ticket_category: asTicket ? category : undefined,
      attachments: attachments.length ? attachments : undefined,
    });
    draftId.current = null;
    setText("");
    setFiles([]);
    setAsTicket(false);
    onSent(sent);
  });

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    const picked = [...list];
    for (const f of picked) {
      const wrong = checkFile(f);
      if (wrong) {
        setProblem(wrong);
        return;
      }
    }
    setProblem(null);
    draftId.current = null;
    setFiles((fs) => [...fs, ...picked]);
  };

  return (
    <form
      class="composer"
      data-testid="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send.run();
      }}
    >
      {problem && (
        <div class="banner banner-warn" role="alert" data-testid="composer-problem">
          {t(problem.key, problem.vars)}
        </div>
      )}
      <ErrorBanner error={send.error} onClose={() => send.setError(null)} />
      <textarea
        name="message"
        rows={2}
        value={text}
        placeholder={t("chat.placeholder")}
        aria-label={t("chat.placeholder")}
        onInput={(e) => {
          setText(e.currentTarget.value);
          draftId.current = null;
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            if (!send.busy) void send.run();
          }
        }}
      />
      {files.length > 0 && (
        <ul class="composer-files">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`} class="chip">
              <PaperclipIcon /> {f.name} <span class="muted small">{formatBytes(f.size)}</span>
              <button
                type="button"
                class="icon-btn"
                aria-label={t("chat.remove_file", { name: f.name })}
                onClick={() => {
                  draftId.current = null;
                  setFiles((fs) => fs.filter((_, j) => j !== i));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-bar">
        <input
          ref={fileInput}
          type="file"
          name="attachments"
          multiple
          accept="image/jpeg,image/png,image/webp,application/pdf"
          hidden
          data-testid="composer-file"
          onChange={(e) => {
            addFiles(e.currentTarget.files);
            e.currentTarget.value = "";
          }}
        />
        <button type="button" class="btn btn-sm" onClick={() => fileInput.current?.click()}>
          <PaperclipIcon /> {t("chat.attach")}
        </button>
        <label class="check small">
          <input
            type="checkbox"
            name="as_ticket"
            checked={asTicket}
            onChange={(e) => {
              setAsTicket(e.currentTarget.checked);
              draftId.current = null;
            }}
          />
          {t("chat.as_ticket")}
        </label>
        {asTicket && (
          <select name="category" value={category} aria-label={t("common.category")} onChange={(e) => setCategory(e.currentTarget.value)}>
            {TICKET_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {code("chat.category", c)}
              </option>
            ))}
          </select>
        )}
        <span class="spacer" />
        <button type="submit" class="btn btn-primary" disabled={send.busy} data-testid="composer-send">
          {send.busy ? t("chat.sending") : t("common.send")}
        </button>
      </div>
    </form>
  );
}
