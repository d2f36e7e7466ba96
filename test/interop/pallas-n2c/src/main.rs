//! Interop harness (test only): pallas-network's node-to-client `NodeClient` on poolfleet's local socket.
//!
//!   pallas-n2c <socket-path> <magic> <blocks> <good-tx-hex> <bad-tx-hex> <address-hex> <genesis-txid-hex>
//!              <pool-id-hex> <stake-key-hash-hex> <double-spend-tx-hex>
//!
//! Connects with `NodeClient::connect` (pallas's own version table: N2C V10..V23), follows the chain from origin
//! with local chain-sync until <blocks> blocks arrived and it is at the tip (every block decoded and hashed by
//! pallas-traverse's `MultiEraBlock`), acquires the tip with local state-query and runs a set of
//! `queries_v16` queries (each answer decoded with pallas's types), refuses an acquire at a point not on the
//! chain, submits <good-tx-hex>, <bad-tx-hex> and <double-spend-tx-hex> (the good one's input again) with local
//! tx-submission and keeps following the chain until a block holds the good transaction, then asks for that
//! transaction's outputs by input. Prints one JSON line per event: versions, wrongMagic, versionQuery, handshake,
//! intersect, block, queries, submitted, included, after, done. A query pallas cannot decode is reported as
//! "<name>Error" with pallas's message and the answer's CBOR (from a second, raw query), not a crash.
use std::collections::BTreeSet;
use std::time::Duration;

use pallas_codec::minicbor;
use pallas_codec::utils::{AnyCbor, AnyUInt, Bytes, TagWrap};
use pallas_crypto::hash::Hash;
use pallas_network::facades::NodeClient;
use pallas_network::miniprotocols::chainsync::{BlockContent, NextResponse};
use pallas_network::miniprotocols::handshake::{n2c, Confirmation};
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localtxsubmission::{EraTx, Response, SMaybe};
use pallas_network::miniprotocols::Point;
use pallas_network::multiplexer::Bearer;
use pallas_traverse::{MultiEraBlock, MultiEraTx};
use serde_json::{json, Map, Value as Json};

const CONWAY: u16 = 6;

fn emit(v: Json) {
    println!("{v}");
}

fn fail(msg: String) -> ! {
    eprintln!("pallas-n2c: {msg}");
    std::process::exit(1);
}

fn unhex(what: &str, s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| fail(format!("{what}: {e}")))
}

fn coin(c: &AnyUInt) -> u64 {
    u64::from(c)
}

fn rat(r: &q::RationalNumber) -> String {
    format!("{}/{}", r.numerator, r.denominator)
}

fn bigint(b: &q::BigInt) -> Json {
    match b {
        q::BigInt::Int(i) => json!(i128::from(*i).to_string()),
        other => json!(format!("{other:?}")),
    }
}

fn value_coin(v: &q::Value) -> u64 {
    match v {
        q::Value::Coin(c) => coin(c),
        q::Value::Multiasset(c, _) => coin(c),
    }
}

fn output_json(o: &q::TransactionOutput) -> Json {
    match o {
        q::TransactionOutput::Legacy(l) => {
            json!({"form": "legacy", "address": hex::encode(l.address.as_slice()), "coin": value_coin(&l.amount).to_string()})
        }
        q::TransactionOutput::Current(c) => {
            json!({"form": "map", "address": hex::encode(c.address.as_slice()), "coin": value_coin(&c.amount).to_string()})
        }
    }
}

fn utxo_json(u: &q::UTxOByAddress) -> Json {
    let mut m = Map::new();
    for (k, v) in u.iter() {
        m.insert(
            format!("{}#{}", hex::encode(k.transaction_id), coin(&k.index)),
            output_json(v),
        );
    }
    Json::Object(m)
}

/// Run one pallas query; on a pallas error also fetch the raw answer (a fresh query through `query`), so the
/// report names what pallas could not decode.
macro_rules! record {
    ($out:expr, $sq:expr, $name:expr, $raw:expr, |$c:ident| $call:expr $(,)?) => {
        async {
            let out: &mut Map<String, Json> = $out;
            let raw: Option<q::Request> = $raw;
            let r = {
                let $c = &mut *$sq;
                $call.await
            };
            match r {
                Ok(v) => Some(v),
                Err(e) => {
                    out.insert(format!("{}Error", $name), json!(format!("{e:?}")));
                    if let Some(req) = raw {
                        if let Ok(any) = $sq.query::<q::Request, AnyCbor>(req).await {
                            out.insert(
                                format!("{}Cbor", $name),
                                json!(hex::encode(any.raw_bytes())),
                            );
                        }
                    }
                    None
                }
            }
        }
    };
}

fn block_req(query: q::BlockQuery) -> q::Request {
    q::Request::LedgerQuery(q::LedgerQuery::BlockQuery(CONWAY, query))
}

struct Seen {
    blocks: Vec<Json>,
    tx_block: Option<String>,
}

fn on_block(seen: &mut Seen, content: &BlockContent, tip: &Json, good_id: &str) {
    let block = MultiEraBlock::decode(&content.0).unwrap_or_else(|e| {
        fail(format!(
            "pallas-traverse cannot decode block {}: {e}",
            seen.blocks.len()
        ))
    });
    let hash = hex::encode(block.hash());
    let txs: Vec<String> = block.txs().iter().map(|t| hex::encode(t.hash())).collect();
    let ev = json!({
        "event": "block", "era": format!("{}", block.era()), "slot": block.slot(), "blockNo": block.number(),
        "hash": hash, "txs": txs, "size": content.0.len(), "tip": tip,
    });
    emit(ev.clone());
    if seen.tx_block.is_none() && txs.iter().any(|t| t == good_id) {
        seen.tx_block = Some(hash);
    }
    seen.blocks.push(ev);
}

fn point_json(p: &Point) -> Json {
    match p {
        Point::Origin => json!("origin"),
        Point::Specific(s, h) => json!({"slot": s, "hash": hex::encode(h)}),
    }
}

fn tip_json(t: &pallas_network::miniprotocols::chainsync::Tip) -> Json {
    match &t.0 {
        Point::Origin => json!({"point": "origin", "blockNo": t.1}),
        Point::Specific(s, h) => json!({"slot": s, "hash": hex::encode(h), "blockNo": t.1}),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 11 {
        fail("usage: <socket> <magic> <blocks> <good-tx> <bad-tx> <address> <genesis-txid> <pool-id> <stake-key-hash> <double-spend-tx>".into());
    }
    let socket = &args[1];
    let magic: u64 = args[2]
        .parse()
        .unwrap_or_else(|e| fail(format!("magic: {e}")));
    let want: usize = args[3]
        .parse()
        .unwrap_or_else(|e| fail(format!("blocks: {e}")));
    let good = unhex("good tx", &args[4]);
    let bad = unhex("bad tx", &args[5]);
    let address = unhex("address", &args[6]);
    let genesis_tx: [u8; 32] = unhex("genesis txid", &args[7])
        .try_into()
        .unwrap_or_else(|_| fail("txid: 32 bytes".into()));
    let pool_id = unhex("pool id", &args[8]);
    let stake_hash = unhex("stake key hash", &args[9]);
    let double = unhex("double-spend tx", &args[10]);
    let good_id = hex::encode(
        MultiEraTx::decode(&good)
            .unwrap_or_else(|e| fail(format!("pallas cannot read the good transaction: {e}")))
            .hash(),
    );

    // First, on connections of their own: the version `NodeClient::connect` negotiates (it proposes exactly
    // VersionTable::v10_and_above and keeps the answer to itself), a wrong magic, and pallas's query-mode handshake.
    for (name, m) in [("versions", magic), ("wrongMagic", magic + 1)] {
        let bearer = Bearer::connect_unix(socket)
            .await
            .unwrap_or_else(|e| fail(format!("connect: {e}")));
        let mut c = NodeClient::new(bearer);
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            c.handshake().handshake(n2c::VersionTable::v10_and_above(m)),
        )
        .await
        .unwrap_or_else(|_| fail("handshake timed out".into()));
        emit(match r {
            Ok(Confirmation::Accepted(v, data)) => {
                json!({"event": name, "accepted": v, "data": format!("{data:?}")})
            }
            Ok(Confirmation::Rejected(reason)) => {
                json!({"event": name, "refused": format!("{reason:?}")})
            }
            Ok(Confirmation::QueryReply(t)) => {
                json!({"event": name, "queryReply": format!("{:?}", t.values.keys())})
            }
            Err(e) => json!({"event": name, "error": format!("{e:?}")}),
        });
        c.abort().await;
    }
    let bearer = Bearer::connect_unix(socket)
        .await
        .unwrap_or_else(|e| fail(format!("connect: {e}")));
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        NodeClient::handshake_query(bearer, magic),
    )
    .await
    .unwrap_or_else(|_| fail("query handshake timed out".into()));
    emit(match r {
        Ok(t) => {
            json!({"event": "versionQuery", "versions": t.values.keys().collect::<BTreeSet<_>>()})
        }
        Err(e) => json!({"event": "versionQuery", "error": format!("{e:?}")}),
    });

    let mut client =
        match tokio::time::timeout(Duration::from_secs(10), NodeClient::connect(socket, magic))
            .await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => fail(format!("connect/handshake: {e:?}")),
            Err(_) => fail("handshake timed out".into()),
        };
    emit(json!({"event": "handshake"}));

    // Local chain-sync from origin, until `want` blocks arrived and the node says we are at its tip.
    let mut seen = Seen {
        blocks: vec![],
        tx_block: None,
    };
    let origin = client
        .chainsync()
        .intersect_origin()
        .await
        .unwrap_or_else(|e| fail(format!("intersect origin: {e:?}")));
    emit(json!({"event": "intersect", "point": format!("{origin:?}")}));
    let mut awaiting = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let next = tokio::time::timeout_at(deadline, async {
            if awaiting {
                client.chainsync().recv_while_must_reply().await
            } else {
                client.chainsync().request_next().await
            }
        })
        .await
        .unwrap_or_else(|_| {
            fail(format!(
                "timed out following the chain at {} blocks",
                seen.blocks.len()
            ))
        })
        .unwrap_or_else(|e| fail(format!("local chain-sync: {e:?}")));
        match next {
            NextResponse::RollForward(content, tip) => {
                awaiting = false;
                on_block(&mut seen, &content, &tip_json(&tip), &good_id);
            }
            NextResponse::RollBackward(p, tip) => {
                awaiting = false;
                emit(
                    json!({"event": "rollback", "point": format!("{p:?}"), "tip": tip_json(&tip)}),
                );
            }
            NextResponse::Await => {
                awaiting = true;
                if seen.blocks.len() >= want {
                    break;
                }
            }
        }
    }

    // Local state-query at the tip.
    let mut out = Map::new();
    out.insert("event".into(), json!("queries"));
    let sq = client.statequery();
    sq.acquire(None)
        .await
        .unwrap_or_else(|e| fail(format!("acquire: {e:?}")));
    if let Some(p) = record!(&mut out, sq, "chainPoint", None, |c| q::get_chain_point(c)).await {
        out.insert("chainPoint".into(), point_json(&p));
    }
    if let Some(n) = record!(
        &mut out,
        sq,
        "chainBlockNo",
        Some(q::Request::GetChainBlockNo),
        |c| q::get_chain_block_no(c)
    )
    .await
    {
        out.insert(
            "chainBlockNo".into(),
            json!({"slotTimeline": n.slot_timeline, "blockNo": n.block_number}),
        );
    }
    if let Some(s) = record!(
        &mut out,
        sq,
        "systemStart",
        Some(q::Request::GetSystemStart),
        |c| q::get_system_start(c)
    )
    .await
    {
        out.insert(
            "systemStart".into(),
            json!({"year": bigint(&s.year), "day": s.day_of_year, "picoseconds": bigint(&s.picoseconds_of_day)}),
        );
    }
    if let Some(e) = record!(&mut out, sq, "currentEra", None, |c| q::get_current_era(c)).await {
        out.insert("currentEra".into(), json!(e));
    }
    if let Some(e) = record!(
        &mut out,
        sq,
        "epoch",
        Some(block_req(q::BlockQuery::GetEpochNo)),
        |c| q::get_block_epoch_number(c, CONWAY)
    )
    .await
    {
        out.insert("epoch".into(), json!(e));
    }
    if let Some(pp) = record!(
        &mut out,
        sq,
        "protocolParams",
        Some(block_req(q::BlockQuery::GetCurrentPParams)),
        |c| q::get_current_pparams(c, CONWAY)
    )
    .await
    {
        out.insert(
            "protocolParams".into(),
            json!({
                "minFeeA": pp.minfee_a, "minFeeB": pp.minfee_b, "maxBlockBodySize": pp.max_block_body_size,
                "maxTxSize": pp.max_transaction_size, "maxBlockHeaderSize": pp.max_block_header_size,
                "keyDeposit": pp.key_deposit.as_ref().map(coin), "poolDeposit": pp.pool_deposit.as_ref().map(coin),
                "eMax": pp.maximum_epoch, "nOpt": pp.desired_number_of_stake_pools,
                "a0": pp.pool_pledge_influence.as_ref().map(rat), "rho": pp.expansion_rate.as_ref().map(rat),
                "tau": pp.treasury_growth_rate.as_ref().map(rat), "protocolVersion": pp.protocol_version,
                "minPoolCost": pp.min_pool_cost.as_ref().map(coin),
                "coinsPerUTxOByte": pp.ada_per_utxo_byte.as_ref().map(coin),
                "maxValueSize": pp.max_value_size, "collateralPercentage": pp.collateral_percentage,
                "maxCollateralInputs": pp.max_collateral_inputs, "govActionDeposit": pp.governance_action_deposit.as_ref().map(coin),
                "drepDeposit": pp.drep_deposit.as_ref().map(coin),
                "minFeeRefScriptCostPerByte": pp.minfee_refscript_cost_per_byte.as_ref().map(rat),
            }),
        );
    }
    if let Some(d) = record!(
        &mut out,
        sq,
        "stakeDistribution",
        Some(block_req(q::BlockQuery::GetStakeDistribution)),
        |c| { q::get_stake_distribution(c, CONWAY) }
    )
    .await
    {
        let m: Map<String, Json> = d
            .iter()
            .map(|(k, v)| {
                (
                    hex::encode(k.as_slice()),
                    json!({"stake": rat(&v.stakes), "vrf": hex::encode(v.hashes.as_slice())}),
                )
            })
            .collect();
        out.insert("stakeDistribution".into(), Json::Object(m));
    }
    let addrs: q::Addrs = vec![Bytes::from(address.clone())];
    if let Some(u) = record!(
        &mut out,
        sq,
        "utxoByAddress",
        Some(block_req(q::BlockQuery::GetUTxOByAddress(addrs.clone()))),
        |c| { q::get_utxo_by_address(c, CONWAY, addrs) }
    )
    .await
    {
        out.insert("utxoByAddress".into(), utxo_json(&u));
    }
    let ins: q::TxIns = BTreeSet::from([q::TransactionInput {
        transaction_id: Hash::new(genesis_tx),
        index: 0,
    }]);
    if let Some(u) = record!(
        &mut out,
        sq,
        "utxoByTxIn",
        Some(block_req(q::BlockQuery::GetUTxOByTxIn(ins.clone()))),
        |c| { q::get_utxo_by_txin(c, CONWAY, ins) }
    )
    .await
    {
        out.insert("utxoByTxIn".into(), utxo_json(&u));
    }
    if let Some((pools,)) = record!(
        &mut out,
        sq,
        "stakePools",
        Some(block_req(q::BlockQuery::GetStakePools)),
        |c| { c.query::<q::Request, (q::Pools,)>(block_req(q::BlockQuery::GetStakePools)) }
    )
    .await
    {
        out.insert(
            "stakePools".into(),
            json!(pools
                .iter()
                .map(|p| hex::encode(p.as_slice()))
                .collect::<Vec<_>>()),
        );
    }
    let pools: q::Pools = TagWrap::new(BTreeSet::from([Bytes::from(pool_id.clone())]));
    if let Some(params) = record!(
        &mut out,
        sq,
        "poolParams",
        Some(block_req(q::BlockQuery::GetStakePoolParams(pools.clone()))),
        |c| { q::get_stake_pool_params(c, CONWAY, pools.clone()) }
    )
    .await
    {
        let m: Map<String, Json> = params
            .iter()
            .map(|(k, p)| {
                (
                    hex::encode(k.as_slice()),
                    json!({
                        "operator": hex::encode(p.operator.as_slice()), "vrf": hex::encode(p.vrf_keyhash.as_slice()),
                        "pledge": coin(&p.pledge).to_string(), "cost": coin(&p.cost).to_string(), "margin": rat(&p.margin),
                        "rewardAccount": hex::encode(p.reward_account.as_slice()),
                        "owners": p.pool_owners.iter().map(|o| hex::encode(o.as_slice())).collect::<Vec<_>>(),
                        "relays": p.relays.len(),
                    }),
                )
            })
            .collect();
        out.insert("poolParams".into(), Json::Object(m));
    }
    if let Some(s) = record!(
        &mut out,
        sq,
        "poolState",
        Some(block_req(q::BlockQuery::GetPoolState(SMaybe::Some(
            pools.clone()
        )))),
        |c| { q::get_pool_state(c, CONWAY, SMaybe::Some(pools.clone())) }
    )
    .await
    {
        // PState's fields are private in pallas: its Debug text names the pools.
        out.insert("poolState".into(), json!(format!("{s:?}")));
    }
    if let Some(s) = record!(
        &mut out,
        sq,
        "stakeSnapshots",
        Some(block_req(q::BlockQuery::GetStakeSnapshots(SMaybe::None))),
        |c| { q::get_stake_snapshots(c, CONWAY, SMaybe::None) }
    )
    .await
    {
        let m: Map<String, Json> = s
            .stake_snapshots
            .iter()
            .map(|(k, v)| {
                (
                    hex::encode(k.as_slice()),
                    json!([
                        v.snapshot_mark_pool,
                        v.snapshot_set_pool,
                        v.snapshot_go_pool
                    ]),
                )
            })
            .collect();
        out.insert(
            "stakeSnapshots".into(),
            json!({"pools": m, "totals": [s.snapshot_stake_mark_total, s.snapshot_stake_set_total, s.snapshot_stake_go_total]}),
        );
    }
    let creds: q::StakeAddrs =
        BTreeSet::from([q::StakeAddr::from((0u8, Bytes::from(stake_hash.clone())))]);
    if let Some(f) = record!(
        &mut out,
        sq,
        "delegations",
        Some(block_req(
            q::BlockQuery::GetFilteredDelegationsAndRewardAccounts(creds.clone())
        )),
        |c| q::get_filtered_delegations_rewards(c, CONWAY, creds.clone()),
    )
    .await
    {
        let cred = |s: &q::StakeAddr| {
            let mut buf = vec![];
            minicbor::encode(s, &mut buf).expect("encode");
            hex::encode(buf)
        };
        let d: Map<String, Json> = f
            .delegs
            .iter()
            .map(|(k, v)| (cred(k), json!(hex::encode(v.as_slice()))))
            .collect();
        let r: Map<String, Json> = f.rewards.iter().map(|(k, v)| (cred(k), json!(v))).collect();
        out.insert(
            "delegations".into(),
            json!({"delegations": d, "rewards": r}),
        );
    }
    let tagged_creds: q::TaggedSet<q::StakeAddr> = TagWrap::new(creds.clone());
    if let Some(d) = record!(
        &mut out,
        sq,
        "stakeDelegDeposits",
        Some(block_req(q::BlockQuery::GetStakeDelegDeposits(
            tagged_creds.clone()
        ))),
        |c| q::get_stake_deleg_deposits(c, CONWAY, tagged_creds.clone()),
    )
    .await
    {
        out.insert(
            "stakeDelegDeposits".into(),
            json!(d.values().map(coin).collect::<Vec<_>>()),
        );
    }
    if let Some(d) = record!(
        &mut out,
        sq,
        "poolDistr2",
        Some(block_req(q::BlockQuery::GetPoolDistr2(SMaybe::None))),
        |c| { q::get_pool_distr_v2(c, CONWAY, SMaybe::None) }
    )
    .await
    {
        out.insert("poolDistr2".into(), json!(format!("{d:?}")));
    }
    // V21+ (cardano-cli's `query stake-distribution`): the new ledger PoolDistr shape, as for GetPoolDistr2.
    if let Some(d) = record!(
        &mut out,
        sq,
        "stakeDistribution2",
        Some(block_req(q::BlockQuery::GetStakeDistribution2)),
        |c| { q::get_stake_distribution_v2(c, CONWAY) }
    )
    .await
    {
        out.insert("stakeDistribution2".into(), json!(format!("{d:?}")));
    }
    if let Some((tip,)) = record!(
        &mut out,
        sq,
        "ledgerTip",
        Some(block_req(q::BlockQuery::GetLedgerTip)),
        |c| { c.query::<q::Request, (Point,)>(block_req(q::BlockQuery::GetLedgerTip)) }
    )
    .await
    {
        out.insert("ledgerTip".into(), point_json(&tip));
    }
    // The whole UTxO, counted: /api/ledger's utxoEntries.
    if let Some(u) = record!(
        &mut out,
        sq,
        "utxoWhole",
        Some(block_req(q::BlockQuery::GetUTxOWhole)),
        |c| q::get_utxo_whole(c, CONWAY)
    )
    .await
    {
        out.insert("utxoWholeCount".into(), json!(u.iter().count()));
    }
    // An era query for Babbage (5) while the ledger is in Conway: the hard-fork combinator's era mismatch.
    match sq
        .query::<q::Request, AnyCbor>(q::Request::LedgerQuery(q::LedgerQuery::BlockQuery(
            5,
            q::BlockQuery::GetEpochNo,
        )))
        .await
    {
        Ok(any) => out.insert(
            "babbageEpochCbor".into(),
            json!(hex::encode(any.raw_bytes())),
        ),
        Err(e) => out.insert("babbageEpochError".into(), json!(format!("{e:?}"))),
    };
    sq.send_release()
        .await
        .unwrap_or_else(|e| fail(format!("release: {e:?}")));
    let bogus = Point::Specific(1, vec![0xab; 32]);
    match sq.acquire(Some(bogus)).await {
        Ok(()) => {
            out.insert("bogusAcquire".into(), json!("acquired"));
            sq.send_release()
                .await
                .unwrap_or_else(|e| fail(format!("release: {e:?}")));
        }
        Err(e) => {
            out.insert("bogusAcquire".into(), json!(format!("{e:?}")));
        }
    }
    emit(Json::Object(out));

    // Local tx-submission: the good transaction, then one the ledger must refuse.
    for (name, tx) in [("good", &good), ("bad", &bad), ("double", &double)] {
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            client.submission().submit_tx(EraTx(CONWAY, tx.clone())),
        )
        .await
        .unwrap_or_else(|_| fail(format!("submitting {name} timed out")));
        match r {
            Ok(Response::Accepted) => {
                emit(json!({"event": "submitted", "tx": name, "accepted": true}))
            }
            Ok(Response::Rejected(reason)) => emit(
                json!({"event": "submitted", "tx": name, "accepted": false, "reason": format!("{reason:?}")}),
            ),
            Err(e) => emit(
                json!({"event": "submitted", "tx": name, "accepted": false, "error": format!("{e:?}")}),
            ),
        }
    }

    // Keep following until a block holds the good transaction.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.tx_block.is_none() {
        let next = tokio::time::timeout_at(deadline, async {
            if awaiting {
                client.chainsync().recv_while_must_reply().await
            } else {
                client.chainsync().request_next().await
            }
        })
        .await
        .unwrap_or_else(|_| {
            fail(format!(
                "the good transaction {good_id} was not in a block within 60 s"
            ))
        })
        .unwrap_or_else(|e| fail(format!("local chain-sync: {e:?}")));
        match next {
            NextResponse::RollForward(content, tip) => {
                awaiting = false;
                on_block(&mut seen, &content, &tip_json(&tip), &good_id);
            }
            NextResponse::RollBackward(p, tip) => {
                awaiting = false;
                emit(
                    json!({"event": "rollback", "point": format!("{p:?}"), "tip": tip_json(&tip)}),
                );
            }
            NextResponse::Await => awaiting = true,
        }
    }
    emit(json!({"event": "included", "tx": good_id, "block": seen.tx_block}));

    // The transaction's outputs, by input, from a state acquired after the block: pallas decodes them.
    let mut after = Map::new();
    after.insert("event".into(), json!("after"));
    let sq = client.statequery();
    sq.acquire(None)
        .await
        .unwrap_or_else(|e| fail(format!("acquire after: {e:?}")));
    let id: [u8; 32] = hex::decode(&good_id).unwrap().try_into().unwrap();
    let ins: q::TxIns = BTreeSet::from([
        q::TransactionInput {
            transaction_id: Hash::new(id),
            index: 0,
        },
        q::TransactionInput {
            transaction_id: Hash::new(id),
            index: 1,
        },
        q::TransactionInput {
            transaction_id: Hash::new(genesis_tx),
            index: 0,
        },
    ]);
    if let Some(u) = record!(&mut after, sq, "utxoByTxIn", None, |c| q::get_utxo_by_txin(
        c, CONWAY, ins
    ))
    .await
    {
        after.insert("utxoByTxIn".into(), utxo_json(&u));
    }
    sq.send_release().await.ok();
    emit(Json::Object(after));

    let hashes: Vec<Json> = seen.blocks.iter().map(|b| b["hash"].clone()).collect();
    emit(json!({"event": "done", "blocks": hashes}));
    client.abort().await;
}
