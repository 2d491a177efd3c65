// SPDX-License-Identifier: ISC
//
// The TypeScript direct client (@threefold/rmb_direct_client, pinned in
// package-lock.json) as tests/test_ts_client runs it: connects through
// the chain and the relay it is given, then sends one request per size
// to a twin whose service echoes the payload, and prints one line per
// request on standard output:
//
//   size N ok MS          the echo came back whole, in MS milliseconds
//   size N error TEXT     send or read failed (TEXT is the client's)
//
// and first "connected" or "connect error TEXT".  After a failed
// connect, the client's own token goes once more to the relay through
// the client's own WebSocket library, to show how it was refused:
//
//   refused STATUS        an HTTP status instead of the upgrade
//   opened then closed CODE   the upgrade, then a close frame
//
// A payload of N bytes is a JSON string (the client parses every answer
// as JSON).
//
// usage: node ts_client.js CHAIN_WS RELAY_URL HEX_SEED DEST_TWIN SIZE...

"use strict";

const { Client } = require("@threefold/rmb_direct_client");

function payload(n) {
	return "\"" + "r".repeat(Math.max(n - 2, 0)) + "\"";
}

function how_refused(url) {
	const Ws = require("ws");

	return new Promise((resolve) => {
		const ws = new Ws(url);
		let opened = false;

		ws.on("unexpected-response", (req, res) => {
			resolve(`refused ${res.statusCode}`);
			req.destroy();
		});
		ws.on("open", () => { opened = true; });
		ws.on("close", (code) => {
			resolve(opened ? `opened then closed ${code}` :
			    `closed ${code}`);
		});
		ws.on("error", (e) => {
			if (!opened)
				resolve(`error ${e.message}`);
		});
	});
}

async function main() {
	const [chain, relay, seed, dest, ...sizes] = process.argv.slice(2);
	const c = new Client(chain, relay, seed, "ts", "sr25519", 1);

	try {
		await c.connect();
	} catch (e) {
		console.log("connect error " + String(e.message || e)
		    .split("\n")[0]);
		if (c.twin)
			console.log(await how_refused(c.updateUrl()));
		process.exit(0);
	}
	console.log("connected");
	for (const s of sizes) {
		const n = Number(s);
		const data = payload(n);
		const t0 = Date.now();
		try {
			// Five minutes: the client waits for the answer
			// until the envelope expires.
			const uid = await c.send("test.echo", data,
			    Number(dest), 5);
			const got = await c.read(uid);
			if (typeof got === "string" &&
			    got.length === n - 2 && got === data.slice(1, -1))
				console.log(`size ${n} ok ${Date.now() - t0}`);
			else
				console.log(`size ${n} error wrong answer of ` +
				    `${typeof got === "string" ? got.length :
				    typeof got}`);
		} catch (e) {
			console.log(`size ${n} error ` + String(e.message || e)
			    .split("\n")[0]);
		}
	}
	// Not disconnect(): it waits up to two minutes for answers to the
	// client's own pings.
	process.exit(0);
}

main().catch((e) => {
	console.log("connect error " + String(e));
	process.exit(0);
});
