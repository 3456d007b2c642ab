// Run by npm's lifecycle scripts, if npm ran them: TATS installs with --ignore-scripts.
const fs = require("node:fs");
const http = require("node:http");
const config = JSON.parse(fs.readFileSync(__dirname + "/hostile.json", "utf8"));
fs.writeFileSync(`${__dirname}/SCRIPT_RAN_${process.argv[2]}`, "ran");
http.get(`${config.loopback_url}/${process.argv[2]}`).on("error", () => {});
