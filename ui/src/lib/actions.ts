// Changes to the catalogue that more than one screen starts: adding a customer (the sidebar,
// the welcome screen), renewing (the sidebar's expiring list, the timeline's "Renew all…", a
// license's form), importing a usage report (the menu, a dropped file, the Usage panel),
// planning from a roster (a dropped file, the timeline's "Plan from roster…") and adding a
// product (the license form). Each asks the shell, records its undo, reads back what
// changed and says what happened; what to show next is the caller's.
import { commands, type DayChoice, type FirstStart, type RenewalView } from "./bindings";
import { describe, unwrap } from "./errors";
import { catalogue } from "./state/catalogue.svelte";
import { history } from "./state/history.svelte";
import { notices } from "./state/notices.svelte";
import { renewal } from "./state/renewal.svelte";
import { DEFAULT_MAX_LICENSES, roster } from "./state/roster.svelte";
import { refreshCustomers, selection } from "./state/selection.svelte";
import { count, localDate, localizeDates } from "./words";

/** Adds a customer; resolves to its id, or why not. */
export async function addCustomer(name: string, zone: string): Promise<{ id: number } | { problem: string }> {
  const result = await commands.addCustomer(name, zone);
  if (result.status === "error") return { problem: describe(result.error) };
  const id = result.data;
  history.rememberPresence("customer", `Add customer ${name}`, id, true);
  await catalogue.loadInfo();
  await refreshCustomers(true);
  return { id };
}

/**
 * The welcome screen's first customer and its product in one step; resolves to the customer's
 * id, or why not and which field.
 */
export async function startCatalogue(first: FirstStart): Promise<{ id: number } | { problem: { field: string; message: string } }> {
  const result = await commands.startCatalogue(first);
  if (result.status === "error") {
    const field = result.error.type === "InvalidInput" ? result.error.data.field : "";
    return { problem: { field, message: describe(result.error) } };
  }
  const id = result.data;
  history.rememberPresence("customer", `Add customer ${first.customer}`, id, true);
  await catalogue.loadInfo();
  await refreshCustomers(true);
  return { id };
}

/**
 * Shows what renewing `licenseIds` will make (names, terms, cost) for a yes before anything is
 * made; `label` names them in the dialog, the undo and the notice.
 */
export async function askRenew(licenseIds: number[], label: string): Promise<string | null> {
  const plan = await commands.renewalPlan(licenseIds, null);
  if (plan.status === "error") return describe(plan.error);
  renewal.pending = { ids: licenseIds, label, plan: plan.data };
  return null;
}

/** "A", "A and B", "A, B and C"; more than three by their count. */
export function listed(names: string[], noun = "license"): string {
  if (names.length > 3 || names.length === 0) return count(names.length, noun);
  if (names.length === 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** What a renewal made, in one sentence: which licenses, for which terms, at what cost. */
export function renewedSentence(made: RenewalView): string {
  const same = made.terms.every((t) => t === made.terms[0]);
  const what = same ? `${listed(made.names)} as drafts (${made.terms[0]})` : `${count(made.names.length, "license")} as drafts: ${made.names.map((n, i) => `${n} (${made.terms[i]})`).join("; ")}`;
  const cost = made.cost.length > 0 ? `; the new term costs ${made.cost.join(" + ")}` : "";
  const missing = made.missing_prices.length > 0 ? `; no price for ${made.missing_prices.join(", ")}` : "";
  return localizeDates(`Renewed ${what}${cost}${missing}`);
}

/** Renews licenses as drafts for their next term; `label` names them in the undo. */
export async function renew(licenseIds: number[], label: string) {
  const result = await commands.renewLicenses(licenseIds, null);
  if (result.status === "error") {
    notices.fail(describe(result.error));
    return;
  }
  const made = result.data.license_ids;
  const ids = history.ids;
  history.remember(
    `Renew ${label}`,
    async () => {
      for (const id of made) unwrap(await commands.deleteLicense(ids.current(id)));
    },
    async () => {
      for (const id of made) unwrap(await commands.restoreLicense(ids.current(id)));
    },
  );
  await refreshCustomers(true);
  await selection.refresh();
  notices.notify(renewedSentence(result.data), true);
}

/**
 * Imports a usage report (`path`, or one the administrator picks), then shows its customer
 * through `show` (or reads the use again when that customer is already shown).
 */
export async function importUsage(path: string | null, show: (customer: number) => Promise<void>) {
  const result = await commands.importUsageReport(path);
  if (result.status === "error") {
    if (result.error.type !== "Cancelled") notices.fail(describe(result.error));
    return;
  }
  const r = result.data;
  const period = `${localDate(r.from)} to ${localDate(r.to)}`;
  history.remember(
    `Import the usage of ${r.customer} from ${period}`,
    async () => unwrap(await commands.withdrawUsageReport(r.report_id)),
    async () => unwrap(await commands.restoreUsageReport(r.report_id)),
  );
  notices.clearProblem();
  notices.notify(`Imported the usage of ${r.customer} from ${period} (${count(r.licenses, "license")})`, true);
  if (selection.customer !== r.customer_id) await show(r.customer_id);
  else await selection.refreshUsage();
}

/** Withdraws an imported usage report (undoable): its days count no more. */
export async function withdrawUsage(report: { report_id: number; from: string; to: string }) {
  const result = await commands.withdrawUsageReport(report.report_id);
  if (result.status === "error") {
    notices.fail(describe(result.error));
    return;
  }
  const period = `${localDate(report.from)} to ${localDate(report.to)}`;
  history.remember(
    `Withdraw the usage report of ${period}`,
    async () => unwrap(await commands.restoreUsageReport(report.report_id)),
    async () => unwrap(await commands.withdrawUsageReport(report.report_id)),
  );
  notices.notify(`Withdrew the usage report of ${period}: its days no longer count`, true);
  await selection.refreshUsage();
}

/** Adds a product by name; resolves to its name as saved, or why not. */
export async function addProduct(name: string): Promise<{ name: string } | { problem: string }> {
  const result = await commands.addProduct(name);
  if (result.status === "error") return { problem: describe(result.error) };
  await catalogue.loadProducts();
  notices.notify(`Added product ${result.data.name}: set its price on the Products screen`);
  return { name: result.data.name };
}

/**
 * Plans licenses for `customer` from the roster at `path` (or one the administrator picks),
 * for the product its licenses are for, at most three, over a year from today.
 */
export async function planRoster(customer: number, path: string | null, day: DayChoice) {
  const problem = await roster.open(customer, { path: path ?? "", product: null, max_licenses: DEFAULT_MAX_LICENSES, from: null, to: null }, day);
  if (problem) notices.fail(problem);
  else if (roster.plan) notices.clearProblem();
}

/** Adds the roster's plan as drafts for its customer; Undo takes them all back in one step. */
export async function applyRosterPlan(day: () => DayChoice) {
  const plan = roster.plan;
  const customer = roster.customer;
  if (!plan || customer === null) return;
  const result = await commands.applyRosterPlan(customer, plan.request, plan.fingerprint);
  if (result.status === "error") {
    notices.fail(describe(result.error));
    // The roster or the price changed on disk: show the plan as it is now.
    if (result.error.type === "Conflict") await roster.replan({}, day());
    return;
  }
  const { license_ids: made, names, from, to } = result.data;
  const ids = history.ids;
  // Undo and Redo read the current costs again when the same plan is still shown.
  const again = async (applied: string[] | null) => {
    if (roster.plan?.fingerprint !== plan.fingerprint) return;
    await roster.replan({}, day());
    roster.applied = applied;
  };
  history.remember(
    `Add the roster's plan (${listed(names)})`,
    async () => {
      for (const id of made) unwrap(await commands.deleteLicense(ids.current(id)));
      await again(null);
    },
    async () => {
      for (const id of made) unwrap(await commands.restoreLicense(ids.current(id)));
      await again(names);
    },
  );
  await refreshCustomers(true);
  await selection.refresh();
  // Drafts that do not open on the day shown (a term from a later date) are shown where they
  // first open, so what was added is on screen.
  if (made[0] !== undefined) await selection.follow(made[0]);
  await again(names);
  notices.clearProblem();
  notices.notify(`Added ${listed(names)} as drafts, valid ${localDate(from)} to ${localDate(to)}`, true);
}
