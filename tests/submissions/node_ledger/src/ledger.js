const Big = require("big.js");

// entries: [{ account, type: "credit" | "debit", amount: "12.30" }]
function balances(entries) {
  const totals = new Map();
  for (const { account, type, amount } of entries) {
    const current = totals.get(account) || new Big(0);
    const delta = new Big(amount);
    totals.set(account, type === "debit" ? current.minus(delta) : current.plus(delta));
  }
  return Object.fromEntries([...totals].map(([account, total]) => [account, total.toFixed(2)]));
}

module.exports = { balances };
