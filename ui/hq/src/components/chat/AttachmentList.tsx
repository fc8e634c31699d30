// A message's files: photos as thumbnails that open full size, PDFs as
// links, and a file the till has not uploaded yet as its name only.

import type { Attachment } from "../../api/types/Attachment";
import { attachmentUrl } from "../../chat/api";
import { formatBytes } from "../../chat/logic";
import { useSession } from "../ui";
import { DocumentIcon, PaperclipIcon } from "./FileIcons";

export function AttachmentList({ files }: { files: Attachment[] }) {
  const { t } = useSession();
  if (files.length === 0) return null;
  return (
    <div class="attachments">
      {files.map((f) => {
        if (!f.uploaded) {
          return (
            <span key={f.sha256} class="attachment attachment-pending muted small" data-testid="attachment-pending">
              <PaperclipIcon /> {t("chat.not_uploaded", { name: f.name })}
            </span>
          );
        }
        const url = attachmentUrl(f.sha256);
        if (f.mime.startsWith("image/")) {
          return (
            <a key={f.sha256} class="attachment attachment-photo" href={url} target="_blank" rel="noopener" title={f.name}>
              <img src={url} alt={f.name} loading="lazy" data-testid="attachment-photo" />
            </a>
          );
        }
        return (
          <a key={f.sha256} class="attachment attachment-file" href={url} target="_blank" rel="noopener" data-testid="attachment-file">
            <DocumentIcon /> {f.name} <span class="muted small">{formatBytes(f.size)}</span>
          </a>
        );
      })}
    </div>
  );
}
