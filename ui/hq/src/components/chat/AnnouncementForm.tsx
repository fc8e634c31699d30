// Writing an announcement: title, text, photos or a PDF notice, whether
// stores must acknowledge it, and its audience, checked here before the hub
// checks them again.

import { useState } from "preact/hooks";

import type { AnnouncementSummary } from "../../api/types/AnnouncementSummary";
import type { Store } from "../../api/types/Store";
import { chatApi, uploadAttachment } from "../../chat/api";
import { type AudienceDraft, type Problem, checkAnnouncement, checkAudience, checkFile, formatBytes, uuidv7 } from "../../chat/logic";
import { Field, FormFooter, Modal, useSession, useSubmit } from "../ui";
import { AudiencePicker } from "./AudiencePicker";
import { PaperclipIcon } from "./FileIcons";

export function AnnouncementForm({
  stores,
  onClose,
  onSent,
}: {
  stores: Store[];
  onClose: () => void;
  onSent: (a: AnnouncementSummary, reached: number) => void;
}) {
  const { t } = useSession();
  const [title, setTitle] = useState("");
  const [text, setText] = useState("");
  const [requiresAck, setRequiresAck] = useState(true);
  const [audience, setAudience] = useState<AudienceDraft>({ mode: "all", region: "", stores: [] });
  const [files, setFiles] = useState<File[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [id] = useState(uuidv7);
  const check = checkAudience(audience, stores);

  const submit = useSubmit(async () => {
    const wrong = checkAnnouncement(title, text, files.length) ?? (check.ok ? null : check.problem);
    setProblem(wrong);
    if (wrong || !check.ok) return;
    const attachments: string[] = [];
    for (const f of files) attachments.push((await uploadAttachment(f)).sha256);
    const sent = await chatApi.announce({
      id,
      title: title.trim(),
      text: text.trim(),
      requires_ack: requiresAck,
      audience: check.body,
      attachments: attachments.length ? attachments : undefined,
    });
    onSent(sent, check.stores.length);
  });

  return (
    <Modal title={t("notices.new")} onClose={onClose} wide>
      <form
        class="form form-grid"
        data-testid="announcement-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <div class="span-2">
          <Field label={t("notices.title")}>
            <input name="title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="span-2">
          <Field label={t("notices.text")}>
            <textarea name="text" rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="span-2 composer-bar">
          <label class="btn btn-sm">
            <PaperclipIcon /> {t("chat.attach")}
            <input
              type="file"
              name="attachments"
              multiple
              hidden
              accept="image/jpeg,image/png,image/webp,application/pdf"
              onChange={(e) => {
                const picked = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = "";
                const bad = picked.map(checkFile).find((p) => p !== null) ?? null;
                setProblem(bad);
                if (!bad) setFiles((fs) => [...fs, ...picked]);
              }}
            />
          </label>
          <ul class="composer-files">
            {files.map((f, i) => (
              <li key={`${f.name}-${i}`} class="chip">
                {f.name} <span class="muted small">{formatBytes(f.size)}</span>
                <button
                  type="button"
                  class="icon-btn"
                  aria-label={t("chat.remove_file", { name: f.name })}
                  onClick={() => setFiles((fs) => fs.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        </div>
        <label class="check span-2">
          <input type="checkbox" name="requires_ack" checked={requiresAck} onChange={(e) => setRequiresAck(e.currentTarget.checked)} />
          {t("notices.requires_ack")}
        </label>
        <AudiencePicker draft={audience} onChange={setAudience} stores={stores} check={check} />
        {problem && (
          <div class="span-2 banner banner-warn" role="alert" data-testid="announcement-problem">
            {t(problem.key, problem.vars)}
          </div>
        )}
        <FormFooter error={submit.error} busy={submit.busy} onCancel={onClose} testId="announcement-submit" saveLabel={t("notices.send")} />
      </form>
    </Modal>
  );
}
