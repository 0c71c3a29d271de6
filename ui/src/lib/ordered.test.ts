import { describe, expect, it } from "vitest";
import { inOrder, type Invoke } from "./ordered";

/** An invoke whose answers the test gives, recording when each command was sent. */
function controlled() {
  const sent: string[] = [];
  const answers = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const invoke: Invoke = (command) => {
    sent.push(command);
    return new Promise((resolve, reject) => answers.set(command, { resolve, reject }));
  };
  return { sent, answers, invoke };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("inOrder", () => {
  it("sends a command only once the one before has answered", async () => {
    const { sent, answers, invoke } = controlled();
    const ordered = inOrder(invoke);
    const first = ordered("edit_license");
    const second = ordered("customer_timeline");
    await settle();
    expect(sent).toEqual(["edit_license"]);
    answers.get("edit_license")!.resolve(1);
    await settle();
    expect(sent).toEqual(["edit_license", "customer_timeline"]);
    answers.get("customer_timeline")!.resolve(2);
    expect(await first).toBe(1);
    expect(await second).toBe(2);
  });

  it("goes on after a refusal, which still reaches its caller", async () => {
    const { sent, answers, invoke } = controlled();
    const ordered = inOrder(invoke);
    const refused = ordered("edit_license");
    const next = ordered("customer_timeline");
    await settle();
    answers.get("edit_license")!.reject("server away");
    await expect(refused).rejects.toBe("server away");
    await settle();
    expect(sent).toEqual(["edit_license", "customer_timeline"]);
    answers.get("customer_timeline")!.resolve("ok");
    expect(await next).toBe("ok");
  });

  it("lets plugins' calls and the long commands run beside the others", async () => {
    const { sent, invoke } = controlled();
    const ordered = inOrder(invoke);
    void ordered("sign_and_export");
    void ordered("edit_license");
    void ordered("cancel_export");
    void ordered("plugin:event|listen");
    void ordered("customer_timeline");
    await settle();
    // The quick ones one at a time (the timeline waits for the edit); the others at once.
    expect([...sent].sort()).toEqual(["cancel_export", "edit_license", "plugin:event|listen", "sign_and_export"]);
  });
});
