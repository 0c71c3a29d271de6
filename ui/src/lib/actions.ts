// Changes to the catalogue that more than one screen starts: adding a customer (the sidebar,
// the welcome screen), renewing (the sidebar's expiring list, the timeline's "Renew all…", a
// license's form), importing a usage report (the menu, a dropped file, the Usage panel) and
// adding a product (the license form). Each asks the shell, records its undo, reads back what
// changed and says what happened; what to show next is the caller's.
import { commands, type FirstStart } from "./bindings";
import { describe, unwrap } from "./errors";
import { catalogue } from "./state/catalogue.svelte";
import { history } from "./state/history.svelte";
import { notices } from "./state/notices.svelte";
import { refreshCustomers, selection } from "./state/selection.svelte";
import { count, localDate } from "./words";

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

/** Renews licenses as drafts for their next term; `label` names them in the undo and notice. */
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
  const cost = result.data.cost.length > 0 ? `; the new term costs ${result.data.cost.join(" + ")}` : "";
  const missing = result.data.missing_prices.length > 0 ? `; no price for ${result.data.missing_prices.join(", ")}` : "";
  await refreshCustomers(true);
  await selection.refresh();
  notices.notify(`Renewed ${count(made.length, "license")} as drafts (${result.data.terms[0]})${cost}${missing}`, true);
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
