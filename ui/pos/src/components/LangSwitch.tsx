// EN / 한국어 toggle, on the Lock screen and in the top bar's menu.

import type { JSX } from "preact";

import { useApp } from "./ui";

export function LangSwitch(): JSX.Element {
  const { lang, setLang } = useApp();
  return (
    <div class="lang-toggle" role="group">
      <button type="button" class={lang === "en" ? "active" : ""} onClick={() => setLang("en")} data-testid="lang-en">
        English
      </button>
      <button type="button" class={lang === "ko" ? "active" : ""} onClick={() => setLang("ko")} data-testid="lang-ko">
        한국어
      </button>
    </div>
  );
}
