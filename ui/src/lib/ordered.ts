/**
 * The app's commands run off the window's thread (so that a save waiting on a team server
 * that hangs does not freeze the window), but the screens were written for commands that run
 * one after another in the order the window asks for them: a read sent after a write must see
 * it. So the window sends its next command only once the one before has answered, as the
 * window's thread used to run them. The long ones that always ran beside the others (a save
 * dialog, a bulk export and its Cancel, a roster's planning) still do, and so do the
 * plugins' calls (events, dialogs) and the commands that read no catalogue (a form's
 * helpers: a term's or a window's length, a passphrase's strength), which need not wait for a
 * save held up by a team's server.
 */
export const ALONGSIDE = new Set([
  "save_export",
  "restore_catalogue",
  "import_key",
  "export_public_key",
  "certify_relay",
  "save_withdrawal_list",
  "sign_and_export",
  "cancel_export",
  "import_usage_report",
  "plan_roster",
  "apply_roster_plan",
  "roster_overlay",
  "check_license_file",
  "export_audit_csv",
  // No catalogue read: nothing to keep in order.
  "term_end",
  "term_length",
  "window_length",
  "passphrase_strength",
  "time_zones",
  "remembered_team",
]);

export type Invoke = (command: string, args?: unknown, options?: unknown) => Promise<unknown>;

/** `invoke`, with the app's quick commands sent one after another in the order asked. */
export function inOrder(invoke: Invoke): Invoke {
  let last: Promise<unknown> = Promise.resolve();
  return (command, args, options) => {
    if (command.startsWith("plugin:") || ALONGSIDE.has(command)) return invoke(command, args, options);
    const run = last.then(() => invoke(command, args, options));
    // A refusal answers its caller; the next command goes ahead all the same.
    last = run.catch(() => undefined);
    return run;
  };
}
