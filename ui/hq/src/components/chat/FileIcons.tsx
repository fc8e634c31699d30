// Small line icons for files (a paperclip and a document), drawn here so
// they look the same without an emoji font.

export function PaperclipIcon() {
  return (
    <svg class="icon-inline" viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M21 11.5l-8.6 8.6a5 5 0 01-7.1-7.1l8.6-8.6a3.5 3.5 0 015 5l-8.6 8.6a2 2 0 01-2.8-2.8l7.9-7.9" />
    </svg>
  );
}

export function DocumentIcon() {
  return (
    <svg class="icon-inline" viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M14 3H6v18h12V7zM14 3v4h4M9 13h6M9 17h6" />
    </svg>
  );
}
