// Line icons of the navigation (24×24, stroke currentColor).

import type { Page } from "../roles";

const PATHS: Record<Page, string> = {
  dashboard: "M4 13h6V4H4zM14 20h6v-9h-6zM4 20h6v-4H4zM14 4v4h6V4z",
  inventory: "M3 7l9-4 9 4-9 4-9-4zM3 7v10l9 4 9-4V7M12 11v10",
  catalog: "M20 12l-8 8-9-9V3h8zM7.5 7.5h.01",
  sales: "M4 19V5M4 19h16M8 15l3-4 3 2 5-6",
  members: "M16 19v-1a4 4 0 00-4-4H7a4 4 0 00-4 4v1M9.5 10a3 3 0 100-6 3 3 0 000 6zM21 19v-1a4 4 0 00-3-3.9M15 4.1a3 3 0 010 5.8",
  stores: "M3 9l1.5-5h15L21 9M3 9h18v2a3 3 0 01-6 0 3 3 0 01-6 0 3 3 0 01-6 0zM5 13v7h14v-7M10 20v-4h4v4",
  tills: "M4 4h16v11H4zM8 19h8M12 15v4",
  chat: "M4 5h16v11H9l-5 4zM8 9h8M8 12h5",
  notices: "M4 10v4h3l6 4V6L7 10zM17 9a4 4 0 010 6M19.5 6.5a8 8 0 010 11",
  tickets: "M4 7h16v3a2 2 0 000 4v3H4v-3a2 2 0 000-4zM14 7v10",
  drops: "M12 3l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.4l-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z",
  replenishment: "M4 7h11v9H4zM15 10h3l2 3v3h-5M7 19a1.5 1.5 0 100-3 1.5 1.5 0 000 3zM17 19a1.5 1.5 0 100-3 1.5 1.5 0 000 3z",
  shipments: "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10M7.5 5l9 4",
  map: "M9 4L3 6v14l6-2 6 2 6-2V4l-6 2zM9 4v14M15 6v14",
  users: "M12 11a4 4 0 100-8 4 4 0 000 8zM4 21v-1a6 6 0 0112 0v1M19 8v6M22 11h-6",
  audit: "M9 4h6l1 2h3v15H5V6h3zM9 12h6M9 16h4",
};

export function Icon({ name }: { name: Page }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d={PATHS[name]} />
    </svg>
  );
}
