// Interop harness (test only): gouroboros's local state-query and local tx-monitor clients on poolfleet's local
// socket.
//
//	gouroboros-lsq monitor <socket-path or tcp://host:port> <magic> <tx-hex>
//	    Submits the transaction with local tx-submission, then acquires a mempool snapshot with local tx-monitor and
//	    asks has-tx (the transaction's id and an unknown one), next-tx twice and get-sizes. Prints one JSON object.
//
//	gouroboros-lsq <socket-path> <magic> <address-hex> <txid-hex> <pool-id-hex> <stake-key-hash-hex>
//	    Connects to the Unix socket, acquires the volatile tip and runs the queries below one by one with
//	    gouroboros's own decoders, then tries to acquire a point that is not on the chain. Prints one JSON object:
//	    each query's answer (as plain numbers, hex and strings) under its name, or "<name>Error" with the error
//	    gouroboros reported, so one query that fails does not hide the others.
package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	ouroboros "github.com/blinklabs-io/gouroboros"
	"github.com/blinklabs-io/gouroboros/cbor"
	"github.com/blinklabs-io/gouroboros/ledger"
	lcommon "github.com/blinklabs-io/gouroboros/ledger/common"
	"github.com/blinklabs-io/gouroboros/ledger/conway"
	pcommon "github.com/blinklabs-io/gouroboros/protocol/common"
	"github.com/blinklabs-io/gouroboros/protocol/localstatequery"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gouroboros-lsq: "+format+"\n", args...)
	os.Exit(1)
}

func rat(r *cbor.Rat) string {
	if r == nil {
		return "nil"
	}
	return r.ToBigRat().String()
}

func dial(path string, magic uint64) *ouroboros.Connection {
	errs := make(chan error, 10)
	conn, err := ouroboros.NewConnection(
		ouroboros.WithNetworkMagic(uint32(magic)),
		ouroboros.WithNodeToNode(false),
		ouroboros.WithErrorChan(errs),
		ouroboros.WithLocalStateQueryConfig(localstatequery.NewConfig(localstatequery.WithQueryTimeout(20*time.Second))),
	)
	if err != nil {
		fail("connection: %v", err)
	}
	// tcp://HOST:PORT dials the node's node-to-client TCP port instead of its socket.
	network, address := "unix", path
	if strings.HasPrefix(path, "tcp://") {
		network, address = "tcp", strings.TrimPrefix(path, "tcp://")
	}
	if err := conn.DialTimeout(network, address, 5*time.Second); err != nil {
		fail("dial %s: %v", path, err)
	}
	go func() {
		for e := range errs {
			fmt.Fprintf(os.Stderr, "gouroboros-lsq: connection error: %v\n", e)
		}
	}()
	return conn
}

func monitor(path string, magic uint64, txHex string) {
	const conwayEraId = 6
	txBytes, err := hex.DecodeString(txHex)
	if err != nil {
		fail("tx: %v", err)
	}
	tx, err := ledger.NewTransactionFromCbor(conwayEraId, txBytes)
	if err != nil {
		fail("gouroboros cannot read the transaction: %v", err)
	}
	conn := dial(path, magic)
	out := map[string]any{"txId": hex.EncodeToString(tx.Hash().Bytes())}
	out["submitted"] = fmt.Sprint(conn.LocalTxSubmission().Client.SubmitTx(conwayEraId, txBytes))
	m := conn.LocalTxMonitor().Client
	out["acquire"] = fmt.Sprint(m.Acquire())
	has, err := m.HasTx(tx.Hash().Bytes())
	out["hasTx"], out["hasTxError"] = has, fmt.Sprint(err)
	hasOther, err := m.HasTx(make([]byte, 32))
	out["hasOther"], out["hasOtherError"] = hasOther, fmt.Sprint(err)
	next, err := m.NextTx()
	out["nextTx"], out["nextTxError"] = hex.EncodeToString(next), fmt.Sprint(err)
	after, err := m.NextTx()
	out["nextAfter"], out["nextAfterError"] = hex.EncodeToString(after), fmt.Sprint(err)
	capacity, size, count, err := m.GetSizes()
	out["sizes"], out["sizesError"] = []uint32{capacity, size, count}, fmt.Sprint(err)
	out["release"] = fmt.Sprint(m.Release())
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
	_ = conn.Close()
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "monitor" {
		magic, _ := strconv.ParseUint(os.Args[3], 10, 32)
		monitor(os.Args[2], magic, os.Args[4])
		return
	}
	if len(os.Args) != 7 {
		fail("usage: <socket-path> <magic> <address-hex> <txid-hex> <pool-id-hex> <stake-key-hash-hex>")
	}
	path := os.Args[1]
	magic, _ := strconv.ParseUint(os.Args[2], 10, 32)
	addrBytes, err := hex.DecodeString(os.Args[3])
	if err != nil {
		fail("address: %v", err)
	}
	addr, err := lcommon.NewAddressFromBytes(addrBytes)
	if err != nil {
		fail("address: %v", err)
	}
	txId, err := hex.DecodeString(os.Args[4])
	if err != nil || len(txId) != 32 {
		fail("txid: %v", err)
	}
	poolBytes, err := hex.DecodeString(os.Args[5])
	if err != nil || len(poolBytes) != 28 {
		fail("pool id: %v", err)
	}
	var poolId ledger.PoolId
	copy(poolId[:], poolBytes)
	stakeBytes, err := hex.DecodeString(os.Args[6])
	if err != nil || len(stakeBytes) != 28 {
		fail("stake key hash: %v", err)
	}

	conn := dial(path, magic)
	out := map[string]any{}
	record := func(name string, value any, err error) {
		if err != nil {
			out[name+"Error"] = err.Error()
			return
		}
		out[name] = value
	}
	lsq := conn.LocalStateQuery().Client
	record("acquire", true, lsq.AcquireVolatileTip())

	point, err := lsq.GetChainPoint()
	if err == nil {
		record("chainPoint", map[string]any{"slot": point.Slot, "hash": hex.EncodeToString(point.Hash)}, nil)
	} else {
		record("chainPoint", nil, err)
	}
	blockNo, err := lsq.GetChainBlockNo()
	record("chainBlockNo", blockNo, err)
	start, err := lsq.GetSystemStart()
	if err == nil {
		record("systemStart", map[string]any{"year": start.Year.String(), "day": start.Day, "picoseconds": start.Picoseconds.String()}, nil)
	} else {
		record("systemStart", nil, err)
	}
	era, err := lsq.GetCurrentEra()
	record("currentEra", era, err)
	history, err := lsq.GetEraHistory()
	if err == nil {
		eras := []map[string]any{}
		for _, h := range history {
			eras = append(eras, map[string]any{
				"startSlot": h.Begin.SlotNo, "startEpoch": h.Begin.EpochNo,
				"endSlot": h.End.SlotNo, "endEpoch": h.End.EpochNo,
				"epochLength": h.Params.EpochLength, "slotLengthMs": h.Params.SlotLength,
				"safeZone": h.Params.SlotsPerKESPeriod.Value,
			})
		}
		record("eraHistory", eras, nil)
	} else {
		record("eraHistory", nil, err)
	}
	epoch, err := lsq.GetEpochNo()
	record("epoch", epoch, err)
	pp, err := lsq.GetCurrentProtocolParams()
	if err == nil {
		if c, ok := pp.(*conway.ConwayProtocolParameters); ok {
			record("protocolParams", map[string]any{
				"minFeeA": c.MinFeeA, "minFeeB": c.MinFeeB, "maxBlockBodySize": c.MaxBlockBodySize,
				"maxTxSize": c.MaxTxSize, "keyDeposit": c.KeyDeposit, "poolDeposit": c.PoolDeposit,
				"eMax": c.MaxEpoch, "nOpt": c.NOpt, "a0": rat(c.A0), "rho": rat(c.Rho), "tau": rat(c.Tau),
				"protocolMajor": c.ProtocolVersion.Major, "minPoolCost": c.MinPoolCost,
				"coinsPerUTxOByte": c.AdaPerUtxoByte, "maxValueSize": c.MaxValueSize,
			}, nil)
		} else {
			record("protocolParams", nil, fmt.Errorf("not Conway parameters: %T", pp))
		}
	} else {
		record("protocolParams", nil, err)
	}
	distr, err := lsq.GetStakeDistribution()
	if err == nil {
		m := map[string]any{}
		for id, v := range distr.Results {
			m[hex.EncodeToString(id[:])] = map[string]any{"stake": rat(v.StakeFraction), "vrf": hex.EncodeToString(v.VrfHash[:])}
		}
		record("stakeDistribution", m, nil)
	} else {
		record("stakeDistribution", nil, err)
	}
	pools, err := lsq.GetStakePools()
	if err == nil {
		ids := []string{}
		for _, id := range pools.Results {
			ids = append(ids, hex.EncodeToString(id[:]))
		}
		record("stakePools", ids, nil)
	} else {
		record("stakePools", nil, err)
	}
	params, err := lsq.GetStakePoolParams([]ledger.PoolId{poolId})
	if err == nil {
		m := map[string]any{}
		for id, v := range params.Results {
			m[hex.EncodeToString(id[:])] = map[string]any{
				"operator": hex.EncodeToString(v.Operator[:]), "vrf": hex.EncodeToString(v.VrfKeyHash[:]),
				"pledge": v.Pledge, "cost": v.FixedCost, "margin": rat(v.Margin), "owners": len(v.PoolOwners),
			}
		}
		record("poolParams", m, nil)
	} else {
		record("poolParams", nil, err)
	}
	utxoAt, err := lsq.GetUTxOByAddress([]ledger.Address{addr})
	if err == nil {
		m := map[string]any{}
		for id, o := range utxoAt.Results {
			m[fmt.Sprintf("%s#%d", hex.EncodeToString(id.Hash[:]), id.Idx)] = o.Amount().String()
		}
		record("utxoByAddress", m, nil)
	} else {
		record("utxoByAddress", nil, err)
	}
	var txHash ledger.Blake2b256
	copy(txHash[:], txId)
	utxoIn, err := lsq.GetUTxOByTxIn([]ledger.TransactionInput{ledger.ShelleyTransactionInput{TxId: txHash, OutputIndex: 0}})
	if err == nil {
		m := map[string]any{}
		for id, o := range utxoIn.Results {
			a, _ := o.Address().Bytes()
			m[fmt.Sprintf("%s#%d", hex.EncodeToString(id.Hash[:]), id.Idx)] = map[string]any{"coin": o.Amount().String(), "address": hex.EncodeToString(a)}
		}
		record("utxoByTxIn", m, nil)
	} else {
		record("utxoByTxIn", nil, err)
	}
	snaps, err := lsq.GetStakeSnapshots(nil)
	if err == nil {
		m := map[string]any{}
		for id, s := range snaps.PoolSnapshots {
			m[hex.EncodeToString(id[:])] = []uint64{s.StakeMark, s.StakeSet, s.StakeGo}
		}
		record("stakeSnapshots", map[string]any{"pools": m, "totals": []uint64{snaps.TotalStakeMark, snaps.TotalStakeSet, snaps.TotalStakeGo}}, nil)
	} else {
		record("stakeSnapshots", nil, err)
	}
	var cred localstatequery.StakeCredential
	copy(cred.Bytes[:], stakeBytes)
	deleg, err := lsq.GetFilteredDelegationsAndRewardAccounts([]localstatequery.StakeCredential{cred})
	if err == nil {
		d := map[string]string{}
		for c, p := range deleg.Delegations {
			d[hex.EncodeToString(c.Bytes[:])] = hex.EncodeToString(p[:])
		}
		r := map[string]uint64{}
		for c, v := range deleg.Rewards {
			r[hex.EncodeToString(c.Bytes[:])] = v
		}
		record("delegations", map[string]any{"delegations": d, "rewards": r}, nil)
	} else {
		record("delegations", nil, err)
	}
	poolState, err := lsq.GetPoolState(nil)
	if err == nil {
		ids := []string{}
		for id := range poolState.PState {
			ids = append(ids, hex.EncodeToString(id[:]))
		}
		record("poolState", map[string]any{"pools": ids, "deposits": len(poolState.Deposits)}, nil)
	} else {
		record("poolState", nil, err)
	}
	dep, err := lsq.DebugChainDepState()
	if err == nil {
		counters := map[string]uint64{}
		for id, v := range dep.OpCertCounters {
			counters[hex.EncodeToString(id[:])] = v
		}
		nonceHex := func(n *lcommon.Nonce) string {
			if n == nil || n.Type == 0 {
				return ""
			}
			return hex.EncodeToString(n.Value[:])
		}
		record("chainDepState", map[string]any{
			"protocol": int(dep.Protocol), "hasSlot": dep.LastSlot.HasSlot, "lastSlot": dep.LastSlot.Slot,
			"counters": counters, "epochNonce": nonceHex(dep.EpochNonce),
			"previousEpochNonce": nonceHex(dep.PreviousEpochNonce), "labNonce": nonceHex(dep.LabNonce),
		}, nil)
	} else {
		record("chainDepState", nil, err)
	}
	deposits, err := lsq.GetStakeDelegDeposits([]localstatequery.StakeCredential{cred})
	if err == nil {
		m := map[string]uint64{}
		for c, v := range *deposits {
			m[hex.EncodeToString(c.Bytes[:])] = v
		}
		record("deposits", m, nil)
	} else {
		record("deposits", nil, err)
	}
	distr2, err := lsq.GetPoolDistr2(nil)
	if err == nil {
		m := map[string]any{}
		for id, v := range distr2.Pools {
			m[hex.EncodeToString(id[:])] = map[string]any{"stake": rat(v.StakeFraction), "total": v.TotalPoolStake}
		}
		record("poolDistr2", map[string]any{"pools": m, "active": distr2.TotalActiveStake}, nil)
	} else {
		record("poolDistr2", nil, err)
	}
	genesis, err := lsq.GetGenesisConfig()
	if err == nil {
		record("genesisConfig", map[string]any{
			"networkMagic": genesis.NetworkMagic, "networkId": genesis.NetworkId,
			"activeSlotsCoeff": fmt.Sprint(genesis.ActiveSlotsCoeff), "securityParam": genesis.SecurityParam,
			"epochLength": genesis.EpochLength, "slotsPerKESPeriod": genesis.SlotsPerKESPeriod,
			"maxKESEvolutions": genesis.MaxKESEvolutions, "slotLength": genesis.SlotLength,
			"updateQuorum": genesis.UpdateQuorum, "maxLovelaceSupply": genesis.MaxLovelaceSupply,
			"systemStartYear": genesis.Start.Year.String(), "systemStartDay": genesis.Start.Day,
			"minFeeA": genesis.ProtocolParams.MinFeeA, "minFeeB": genesis.ProtocolParams.MinFeeB,
			"keyDeposit": genesis.ProtocolParams.KeyDeposit, "nOpt": genesis.ProtocolParams.NOpt,
			"a0": fmt.Sprint(genesis.ProtocolParams.A0), "rho": fmt.Sprint(genesis.ProtocolParams.Rho),
			"protocolMajor": genesis.ProtocolParams.ProtocolVersionMajor,
			"minPoolCost":   genesis.ProtocolParams.MinPoolCost,
			"extraConfig":   genesis.ExtraConfig != nil,
		}, nil)
	} else {
		record("genesisConfig", nil, err)
	}
	account, err := lsq.GetAccountState()
	if err == nil {
		record("accountState", map[string]any{"treasury": account.State.Treasury, "reserves": account.State.Reserves}, nil)
	} else {
		record("accountState", nil, err)
	}
	stakeCred := lcommon.Credential{CredType: lcommon.CredentialTypeAddrKeyHash}
	copy(stakeCred.Credential[:], stakeBytes)
	delegatees, err := lsq.GetFilteredVoteDelegatees([]lcommon.Credential{stakeCred})
	if err == nil {
		record("voteDelegatees", len(*delegatees), nil)
	} else {
		record("voteDelegatees", nil, err)
	}
	dreps, err := lsq.GetDRepState(nil)
	if err == nil {
		record("drepState", len(*dreps), nil)
	} else {
		record("drepState", nil, err)
	}
	// The immutable tip (k blocks back), then that point itself: both acquirable, both report that block.
	if err := lsq.AcquireImmutableTip(); err == nil {
		immutablePoint, perr := lsq.GetChainPoint()
		immutableBlock, berr := lsq.GetChainBlockNo()
		if perr != nil || berr != nil {
			record("immutable", nil, fmt.Errorf("point: %v, block: %v", perr, berr))
		} else {
			entry := map[string]any{"slot": immutablePoint.Slot, "hash": hex.EncodeToString(immutablePoint.Hash), "block": immutableBlock}
			if aerr := lsq.Acquire(immutablePoint); aerr != nil {
				entry["pointAcquire"] = aerr.Error()
			} else if again, gerr := lsq.GetChainPoint(); gerr == nil {
				entry["pointAgain"] = hex.EncodeToString(again.Hash)
			}
			record("immutable", entry, nil)
		}
	} else {
		record("immutable", nil, err)
	}
	// A point that is not on the chain: the node refuses to acquire it.
	bogus := pcommon.NewPoint(1, make([]byte, 32))
	err = lsq.Acquire(&bogus)
	out["bogusAcquire"] = fmt.Sprint(err)
	out["bogusNotOnChain"] = errors.Is(err, localstatequery.ErrAcquireFailurePointNotOnChain)

	text, _ := json.Marshal(out)
	fmt.Println(string(text))
	_ = conn.Close()
}
