// The top bar of every screen: the page's name, the language switch (one tap,
// remembered on the phone) and, when logged in, who is driving.

import type { Lang, T } from "../i18n";

export function Header(props: { t: T; lang: Lang; onLang: () => void; who?: string | null }) {
  const { t } = props;
  return (
    <header class="bar">
      <div class="brand">
        <span class="logo" aria-hidden="true">
          S
        </span>
        <span class="brand-name">{t("app.brand")}</span>
      </div>
      <div class="bar-right">
        {props.who ? <span class="who">{props.who}</span> : null}
        <button
          type="button"
          class="lang"
          data-testid="lang-switch"
          aria-label={t("lang.switch_label")}
          onClick={props.onLang}
        >
          {t("lang.switch")}
        </button>
      </div>
    </header>
  );
}
