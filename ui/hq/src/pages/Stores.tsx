// Stores and warehouses: the list, creating one, and issuing a one-time
// enrolment code for a new till (shown large, with a copy button).

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { EnrolmentCode } from "../api/types/EnrolmentCode";
import type { Store } from "../api/types/Store";
import { Badge, Card, DataTable, ErrorBanner, Field, FormFooter, forgetStoreNames, Modal, Notice, PageHeader, useAsync, useNum, useSession, useSubmit } from "../components/ui";
import { formatDateTime } from "../format";
import { canEdit } from "../roles";

export function StoresPage() {
  const { me, t, lang } = useSession();
  const num = useNum();
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const [creating, setCreating] = useState(false);
  const [code, setCode] = useState<EnrolmentCode | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const admin = canEdit(me.role, "stores");
  const issue = useSubmit(async (store: string) => {
    setCode(await api.post<EnrolmentCode>(`/stores/${encodeURIComponent(store)}/enrolment-codes`, {}));
  });
  return (
    <div data-testid="page-stores">
      <PageHeader
        title={t("nav.stores")}
        sub={t("stores.subtitle")}
        actions={
          admin && (
            <button type="button" class="btn btn-primary" data-testid="new-store" onClick={() => setCreating(true)}>
              {t("stores.new")}
            </button>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={stores.error ?? issue.error} />
      <Card>
        <DataTable
          testid="stores"
          rows={stores.data}
          loading={stores.loading}
          rowKey={(s) => s.code}
          columns={[
            { key: "code", label: t("stores.code"), render: (s) => <strong class="mono">{s.code}</strong> },
            { key: "name", label: t("common.name"), render: (s) => s.name },
            { key: "kind", label: t("stores.kind"), render: (s) => <Badge tone={s.kind === "store" ? "info" : "muted"}>{t(s.kind === "store" ? "stores.store" : "stores.warehouse")}</Badge> },
            { key: "region", label: t("stores.region"), render: (s) => s.region ?? "—" },
            { key: "cur", label: t("stores.currency"), render: (s) => s.currency },
            { key: "tills", label: t("nav.tills"), align: "right", render: (s) => num(s.tills) },
            { key: "created", label: t("stores.created"), render: (s) => formatDateTime(s.created_at_ms, lang) },
            {
              key: "enrol",
              label: "",
              align: "right",
              render: (s) =>
                admin && s.kind === "store" ? (
                  <button type="button" class="btn btn-sm" data-testid={`enrol-${s.code}`} disabled={issue.busy} onClick={() => void issue.run(s.code)}>
                    {t("stores.issue_code")}
                  </button>
                ) : null,
            },
          ]}
        />
      </Card>
      {creating && (
        <StoreForm
          onClose={() => setCreating(false)}
          onSaved={(s) => {
            setCreating(false);
            setNotice(t("stores.created_notice", { code: s.code }));
            stores.reload();
          }}
        />
      )}
      {code && <CodeModal code={code} onClose={() => setCode(null)} />}
    </div>
  );
}

function CodeModal({ code, onClose }: { code: EnrolmentCode; onClose: () => void }) {
  const { t, lang } = useSession();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code.code);
      setCopied(true);
    } catch {
      const range = document.createRange();
      const el = document.querySelector('[data-testid="enrolment-code"]');
      if (el) {
        range.selectNodeContents(el);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
      }
    }
  };
  return (
    <Modal title={t("stores.code_title", { store: code.store })} onClose={onClose}>
      <p>{t("stores.code_help")}</p>
      <div class="enrol-code" data-testid="enrolment-code">
        {code.code}
      </div>
      <p class="muted small">{t("stores.code_expires", { at: formatDateTime(code.expires_at_ms, lang) })}</p>
      <pre class="cmd">pos-agent --data-dir DIR enrol --hub {location.origin} --code {code.code}</pre>
      <div class="form-actions">
        <button type="button" class="btn" onClick={() => void copy()} data-testid="copy-code">
          {copied ? t("common.copied") : t("common.copy")}
        </button>
        <button type="button" class="btn btn-primary" onClick={onClose}>
          {t("common.close")}
        </button>
      </div>
    </Modal>
  );
}

function StoreForm({ onClose, onSaved }: { onClose: () => void; onSaved: (s: Store) => void }) {
  const { t } = useSession();
  const [f, setF] = useState({ code: "", name: "", kind: "store", currency: "KRW", region: "", lat: "", lon: "" });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = useSubmit(async () => {
    const body: Record<string, unknown> = {
      code: f.code.trim().toUpperCase(),
      name: f.name.trim(),
      kind: f.kind,
      currency: f.currency.trim().toUpperCase(),
    };
    if (f.region.trim()) body.region = f.region.trim();
    if (f.lat.trim()) body.lat = Number(f.lat);
    if (f.lon.trim()) body.lon = Number(f.lon);
    const made = await api.post<Store>("/stores", body);
    forgetStoreNames();
    onSaved(made);
  });
  return (
    <Modal title={t("stores.new")} onClose={onClose}>
      <form
        class="form form-grid"
        data-testid="store-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("stores.code")} hint={t("stores.code_hint")}>
          <input name="code" required value={f.code} onInput={set("code")} />
        </Field>
        <Field label={t("common.name")}>
          <input name="name" required value={f.name} onInput={set("name")} />
        </Field>
        <Field label={t("stores.kind")}>
          <select name="kind" value={f.kind} onChange={set("kind")}>
            <option value="store">{t("stores.store")}</option>
            <option value="warehouse">{t("stores.warehouse")}</option>
          </select>
        </Field>
        <Field label={t("stores.currency")}>
          <input name="currency" required maxLength={3} value={f.currency} onInput={set("currency")} />
        </Field>
        <Field label={t("stores.region")}>
          <input name="region" value={f.region} onInput={set("region")} />
        </Field>
        <div class="field-pair">
          <Field label={t("stores.lat")}>
            <input name="lat" inputMode="decimal" value={f.lat} onInput={set("lat")} />
          </Field>
          <Field label={t("stores.lon")}>
            <input name="lon" inputMode="decimal" value={f.lon} onInput={set("lon")} />
          </Field>
        </div>
        <FormFooter
          error={submit.error}
          busy={submit.busy}
          onCancel={onClose}
          testId="store-submit"
          saveLabel={t("stores.create")}
        />
      </form>
    </Modal>
  );
}
