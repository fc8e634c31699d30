// Who an announcement goes to: every store, a region, or chosen stores
// (warehouses never). Shows whom it reaches today, and says that stores
// opened later will not get it.

import type { Store } from "../../api/types/Store";
import { type AudienceCheck, type AudienceDraft, regionsOf } from "../../chat/logic";
import { Field, useSession } from "../ui";

export function AudiencePicker({
  draft,
  onChange,
  stores,
  check,
}: {
  draft: AudienceDraft;
  onChange: (d: AudienceDraft) => void;
  stores: Store[];
  check: AudienceCheck;
}) {
  const { t } = useSession();
  const regions = regionsOf(stores);
  const shops = stores.filter((s) => s.kind === "store");
  const modes: AudienceDraft["mode"][] = ["all", "region", "stores"];
  return (
    <fieldset class="field span-2" data-testid="audience">
      <legend class="field-label">{t("notices.audience")}</legend>
      <div class="audience-modes">
        {modes.map((m) => (
          <label key={m} class="check">
            <input type="radio" name="audience" value={m} checked={draft.mode === m} onChange={() => onChange({ ...draft, mode: m })} />
            {t(m === "all" ? "notices.audience.all" : m === "region" ? "notices.audience.region" : "notices.audience.stores")}
          </label>
        ))}
      </div>
      {draft.mode === "region" && (
        <Field label={t("notices.region")}>
          <select name="region" value={draft.region} onChange={(e) => onChange({ ...draft, region: e.currentTarget.value })}>
            <option value="">{t("notices.pick_region")}</option>
            {regions.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      )}
      {draft.mode === "stores" && (
        <div class="audience-stores">
          {shops.map((s) => (
            <label key={s.code} class="check small">
              <input
                type="checkbox"
                name="store"
                value={s.code}
                data-testid={`audience-${s.code}`}
                checked={draft.stores.includes(s.code)}
                onChange={(e) =>
                  onChange({
                    ...draft,
                    stores: e.currentTarget.checked ? [...draft.stores, s.code] : draft.stores.filter((c) => c !== s.code),
                  })
                }
              />
              <span class="mono">{s.code}</span> {s.name}
            </label>
          ))}
        </div>
      )}
      <span class="field-hint" data-testid="audience-reach">
        {check.ok ? t("notices.reaches", { n: check.stores.length, stores: check.stores.join(", ") }) : t(check.problem.key, check.problem.vars)}
        {" · "}
        {t("notices.later_stores")}
      </span>
    </fieldset>
  );
}
