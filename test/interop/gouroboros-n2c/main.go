// Interop harness (test only): gouroboros's node-to-client client on poolfleet's local socket.
//
//	gouroboros-n2c <socket-path> <magic> <blocks> <good-tx-hex> <bad-tx-hex>
//	    Connects to the Unix socket, completes the N2C handshake, follows the chain from origin with local
//	    chain-sync (whole blocks; hashes computed by gouroboros's own ledger code) until <blocks> blocks arrived,
//	    then submits <good-tx-hex> and <bad-tx-hex> with local tx-submission and keeps following until a block
//	    holds the good transaction. Prints one JSON line per event: handshake, block, submitted (with the error
//	    gouroboros decoded from MsgRejectTx and the reason's CBOR, if refused), included, done.
package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	ouroboros "github.com/blinklabs-io/gouroboros"
	"github.com/blinklabs-io/gouroboros/ledger"
	"github.com/blinklabs-io/gouroboros/protocol/chainsync"
	pcommon "github.com/blinklabs-io/gouroboros/protocol/common"
	"github.com/blinklabs-io/gouroboros/protocol/localtxsubmission"
)

const conwayEraId = 6

func emit(v map[string]any) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gouroboros-n2c: "+format+"\n", args...)
	os.Exit(1)
}

type seen struct {
	Slot    uint64 `json:"slot"`
	BlockNo uint64 `json:"blockNo"`
	Hash    string `json:"hash"`
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: <socket-path> <magic> <blocks> <good-tx-hex> <bad-tx-hex>")
	}
	path := os.Args[1]
	magic, _ := strconv.ParseUint(os.Args[2], 10, 32)
	want, _ := strconv.Atoi(os.Args[3])
	goodTx, err := hex.DecodeString(os.Args[4])
	if err != nil {
		fail("good tx: %v", err)
	}
	badTx, err := hex.DecodeString(os.Args[5])
	if err != nil {
		fail("bad tx: %v", err)
	}
	goodId, err := ledger.NewTransactionFromCbor(conwayEraId, goodTx)
	if err != nil {
		fail("gouroboros cannot read the good transaction: %v", err)
	}
	goodHash := hex.EncodeToString(goodId.Hash().Bytes())

	var mu sync.Mutex
	var blocks []seen
	enough := make(chan struct{})
	included := make(chan string, 1)
	csCfg := chainsync.NewConfig(
		chainsync.WithRollForwardFunc(func(_ chainsync.CallbackContext, _ uint, data any, _ chainsync.Tip) error {
			b, ok := data.(ledger.Block)
			if !ok {
				return fmt.Errorf("local chain-sync gave a %T, not a block", data)
			}
			mu.Lock()
			defer mu.Unlock()
			s := seen{b.SlotNumber(), b.BlockNumber(), hex.EncodeToString(b.Hash().Bytes())}
			blocks = append(blocks, s)
			emit(map[string]any{"event": "block", "slot": s.Slot, "blockNo": s.BlockNo, "hash": s.Hash})
			if len(blocks) == want {
				close(enough)
			}
			for _, tx := range b.Transactions() {
				if hex.EncodeToString(tx.Hash().Bytes()) == goodHash {
					select {
					case included <- s.Hash:
					default:
					}
				}
			}
			return nil
		}),
		chainsync.WithRollBackwardFunc(func(_ chainsync.CallbackContext, p pcommon.Point, _ chainsync.Tip) error {
			emit(map[string]any{"event": "rollback", "slot": p.Slot})
			return nil
		}),
	)
	errs := make(chan error, 10)
	conn, err := ouroboros.NewConnection(
		ouroboros.WithNetworkMagic(uint32(magic)),
		ouroboros.WithNodeToNode(false),
		ouroboros.WithErrorChan(errs),
		ouroboros.WithChainSyncConfig(csCfg),
	)
	if err != nil {
		fail("connection: %v", err)
	}
	if err := conn.DialTimeout("unix", path, 5*time.Second); err != nil {
		fail("dial %s: %v", path, err)
	}
	version, _ := conn.ProtocolVersion()
	emit(map[string]any{"event": "handshake", "version": version})
	if err := conn.ChainSync().Client.Sync([]pcommon.Point{pcommon.NewPointOrigin()}); err != nil {
		fail("local chain-sync: %v", err)
	}
	select {
	case <-enough:
	case err := <-errs:
		fail("connection error during local chain-sync: %v", err)
	case <-time.After(60 * time.Second):
		fail("timed out waiting for %d blocks", want)
	}
	for _, c := range []struct {
		name string
		tx   []byte
	}{{"good", goodTx}, {"bad", badTx}} {
		err := conn.LocalTxSubmission().Client.SubmitTx(conwayEraId, c.tx)
		ev := map[string]any{"event": "submitted", "tx": c.name, "accepted": err == nil}
		if err != nil {
			ev["error"] = err.Error()
			var rejected localtxsubmission.TransactionRejectedError
			if errors.As(err, &rejected) {
				ev["reasonCbor"] = hex.EncodeToString(rejected.ReasonCbor)
			}
		}
		emit(ev)
	}
	select {
	case hash := <-included:
		emit(map[string]any{"event": "included", "tx": goodHash, "block": hash})
	case err := <-errs:
		fail("connection error while waiting for the transaction: %v", err)
	case <-time.After(60 * time.Second):
		fail("the good transaction %s was not in a block within 60 s", goodHash)
	}
	mu.Lock()
	emit(map[string]any{"event": "done", "version": version, "blocks": blocks})
	mu.Unlock()
	_ = conn.Close()
}
