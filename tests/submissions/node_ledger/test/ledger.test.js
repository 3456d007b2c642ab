const assert = require("node:assert");
const { balances } = require("../src/ledger");

describe("balances", () => {
  it("adds credits", () => {
    assert.deepStrictEqual(balances([{ account: "a", type: "credit", amount: "0.10" }, { account: "a", type: "credit", amount: "0.20" }]), { a: "0.30" });
  });

  it("subtracts debits", () => {
    assert.deepStrictEqual(balances([{ account: "a", type: "credit", amount: "5" }, { account: "a", type: "debit", amount: "7.5" }]), { a: "-2.50" });
  });

  it("keeps accounts apart", () => {
    assert.deepStrictEqual(balances([{ account: "a", type: "credit", amount: "1" }, { account: "b", type: "debit", amount: "1" }]), { a: "1.00", b: "-1.00" });
  });
});
