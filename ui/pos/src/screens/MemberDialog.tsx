// Member (F4): look a member up by phone and attach them to the sale, or sign
// a new member up at the counter (works offline; the sign-up syncs later).

import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { Member } from "../api/types/Member";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import { formatDateTime, formatPhone } from "../format";

export function MemberDialog(props: {
  current: Member | null;
  onAttach: (m: Member) => void;
  onDetach: () => void;
  onClose: () => void;
}): JSX.Element {
  const { t, lang } = useApp();
  const [phone, setPhone] = useState("");
  const [found, setFound] = useState<Member | null | undefined>(undefined);
  const [name, setName] = useState("");
  const [birth, setBirth] = useState("");
  const [consent, setConsent] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);

  const find = async (e?: Event) => {
    e?.preventDefault();
    if (!phone.trim()) return;
    setBusy(true);
    setErr(null);
    try {
      setFound(await api.findMember(phone.trim()));
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  const signUp = async (e: Event) => {
    e.preventDefault();
    const year = birth.trim() ? Number(birth.trim()) : null;
    if (year !== null && (!Number.isInteger(year) || year < 1900 || year > 2100)) {
      setErr({ code: "invalid_input", message: t("member.birth_year") });
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      const out = await api.signUpMember({ phone: phone.trim(), name: name.trim(), birth_year: year, marketing_consent: consent });
      props.onAttach(out.member);
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("member.title")} onClose={props.onClose} testid="member-dialog">
      {props.current && (
        <div class="member-chip">
          <span>
            <strong>{props.current.name}</strong> · {formatPhone(props.current.phone ?? "")}
          </span>
          <span class="grow" />
          <Btn kind="ghost" onClick={props.onDetach} testid="member-remove">
            {t("member.detach")}
          </Btn>
        </div>
      )}
      <form class="row row-end" onSubmit={find}>
        <Field label={t("member.phone")}>
          <input
            class="input input-big"
            type="tel"
            value={phone}
            autoFocus
            onInput={(e) => {
              setPhone(e.currentTarget.value);
              setFound(undefined);
            }}
            placeholder="010-1234-5678"
            data-testid="member-phone"
          />
        </Field>
        <Btn kind="primary" type="submit" disabled={busy || !phone.trim()} testid="member-find" hint="Enter">
          {t("member.find")}
        </Btn>
      </form>
      <ErrorBox error={err} testid="member-error" />
      {found && (
        <div class="found stack" data-testid="member-found">
          <div class="member-chip">
            <span class="avatar">{(found.name ?? "?").slice(0, 1)}</span>
            <span>
              <strong>{found.name ?? "—"}</strong> · {formatPhone(found.phone ?? phone)}
              {found.signed_up_at_ms != null && (
                <span class="muted small"> · {t("member.since", { date: formatDateTime(found.signed_up_at_ms, lang) })}</span>
              )}
            </span>
          </div>
          <Btn kind="primary" onClick={() => props.onAttach(found)} testid="member-attach" autoFocus>
            {t("member.attach")}
          </Btn>
        </div>
      )}
      {found === null && (
        <form class="stack signup" onSubmit={signUp} data-testid="member-signup-form">
          <p class="muted">{t("member.not_found")}</p>
          <Field label={t("member.name")}>
            <input class="input" value={name} onInput={(e) => setName(e.currentTarget.value)} required autoFocus data-testid="member-name" />
          </Field>
          <Field label={t("member.birth_year")}>
            <input class="input" inputMode="numeric" value={birth} onInput={(e) => setBirth(e.currentTarget.value)} data-testid="member-birth-year" />
          </Field>
          <label class="check">
            <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} data-testid="member-consent" />
            {t("member.consent")}
          </label>
          <p class="muted small">{t("member.offline_note")}</p>
          <Btn kind="primary" type="submit" disabled={busy || !name.trim()} testid="member-signup">
            {t("member.signup")}
          </Btn>
        </form>
      )}
    </Dialog>
  );
}
