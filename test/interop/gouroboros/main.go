// Interop harness (test only): gouroboros, an independent Ouroboros implementation in Go, talks node-to-node
// with poolfleet over loopback.
//
//	gouroboros-interop client <host:port> <magic> <headers>
//	    Dials poolfleet, completes the handshake, follows the chain from origin with chain-sync until
//	    <headers> headers arrived, then fetches that whole range with block-fetch. Header and block hashes are
//	    computed by gouroboros's own ledger code. Prints one JSON line per header as it arrives
//	    ({"event":"header",...}) and a final {"event":"done",...} line.
//	gouroboros-interop server <magic> <blocks-file>
//	    Serves the blocks in <blocks-file> (one Conway block per line, hex, stored form without era tag) with
//	    gouroboros's chain-sync and block-fetch servers on a loopback port, printing {"event":"listening","port":N}.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	ouroboros "github.com/blinklabs-io/gouroboros"
	"github.com/blinklabs-io/gouroboros/ledger"
	"github.com/blinklabs-io/gouroboros/protocol/blockfetch"
	"github.com/blinklabs-io/gouroboros/protocol/chainsync"
	pcommon "github.com/blinklabs-io/gouroboros/protocol/common"
)

const conwayBlockType = 7

func emit(v map[string]any) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gouroboros-interop: "+format+"\n", args...)
	os.Exit(1)
}

type seen struct {
	Slot    uint64 `json:"slot"`
	BlockNo uint64 `json:"blockNo"`
	Hash    string `json:"hash"`
}

func runClient(address string, magic uint32, want int) {
	var mu sync.Mutex
	var headers []seen
	enough := make(chan struct{})
	var blocks []seen
	batchDone := make(chan struct{}, 1)
	csCfg := chainsync.NewConfig(
		chainsync.WithRollForwardFunc(func(_ chainsync.CallbackContext, _ uint, h any, _ chainsync.Tip) error {
			header, ok := h.(ledger.BlockHeader)
			if !ok {
				return fmt.Errorf("header of type %T", h)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(headers) >= want {
				return nil
			}
			s := seen{header.SlotNumber(), header.BlockNumber(), hex.EncodeToString(header.Hash().Bytes())}
			headers = append(headers, s)
			emit(map[string]any{"event": "header", "slot": s.Slot, "blockNo": s.BlockNo, "hash": s.Hash})
			if len(headers) == want {
				close(enough)
			}
			return nil
		}),
		chainsync.WithRollBackwardFunc(func(_ chainsync.CallbackContext, p pcommon.Point, _ chainsync.Tip) error {
			emit(map[string]any{"event": "rollback", "slot": p.Slot})
			return nil
		}),
	)
	bfCfg, err := blockfetch.NewConfig(
		blockfetch.WithBlockFunc(func(_ blockfetch.CallbackContext, _ uint, b ledger.Block) error {
			mu.Lock()
			defer mu.Unlock()
			blocks = append(blocks, seen{b.SlotNumber(), b.BlockNumber(), hex.EncodeToString(b.Hash().Bytes())})
			return nil
		}),
		blockfetch.WithBatchDoneFunc(func(_ blockfetch.CallbackContext) error {
			batchDone <- struct{}{}
			return nil
		}),
	)
	if err != nil {
		fail("block-fetch config: %v", err)
	}
	errs := make(chan error, 10)
	conn, err := ouroboros.NewConnection(
		ouroboros.WithNetworkMagic(magic),
		ouroboros.WithNodeToNode(true),
		ouroboros.WithKeepAlive(false),
		ouroboros.WithErrorChan(errs),
		ouroboros.WithChainSyncConfig(csCfg),
		ouroboros.WithBlockFetchConfig(bfCfg),
	)
	if err != nil {
		fail("connection: %v", err)
	}
	if err := conn.DialTimeout("tcp", address, 5*time.Second); err != nil {
		fail("dial %s: %v", address, err)
	}
	version, _ := conn.ProtocolVersion()
	emit(map[string]any{"event": "handshake", "version": version})
	if err := conn.ChainSync().Client.Sync([]pcommon.Point{pcommon.NewPointOrigin()}); err != nil {
		fail("chain-sync: %v", err)
	}
	select {
	case <-enough:
	case err := <-errs:
		fail("connection error during chain-sync: %v", err)
	case <-time.After(30 * time.Second):
		fail("timed out waiting for %d headers", want)
	}
	mu.Lock()
	first, last := headers[0], headers[len(headers)-1]
	mu.Unlock()
	hashOf := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	if err := conn.BlockFetch().Client.GetBlockRange(
		pcommon.NewPoint(first.Slot, hashOf(first.Hash)),
		pcommon.NewPoint(last.Slot, hashOf(last.Hash)),
	); err != nil {
		fail("block-fetch: %v", err)
	}
	select {
	case <-batchDone:
	case err := <-errs:
		fail("connection error during block-fetch: %v", err)
	case <-time.After(30 * time.Second):
		fail("timed out waiting for the block batch")
	}
	mu.Lock()
	emit(map[string]any{"event": "done", "version": version, "headers": headers, "blocks": blocks})
	mu.Unlock()
	_ = conn.Close()
}

type stored struct {
	raw  []byte
	slot uint64
	no   uint64
	hash []byte
}

func runServer(magic uint32, path string) {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	var chain []stored
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		raw, err := hex.DecodeString(scanner.Text())
		if err != nil {
			fail("blocks file: %v", err)
		}
		b, err := ledger.NewBlockFromCbor(conwayBlockType, raw)
		if err != nil {
			fail("gouroboros cannot read block %d: %v", len(chain), err)
		}
		chain = append(chain, stored{raw, b.SlotNumber(), b.BlockNumber(), b.Hash().Bytes()})
	}
	tip := func() chainsync.Tip {
		last := chain[len(chain)-1]
		return chainsync.Tip{Point: pcommon.NewPoint(last.slot, last.hash), BlockNumber: last.no}
	}
	indexOf := func(p pcommon.Point) int {
		for i, b := range chain {
			if b.slot == p.Slot && hex.EncodeToString(b.hash) == hex.EncodeToString(p.Hash) {
				return i
			}
		}
		return -2
	}
	var mu sync.Mutex
	cursor := -1
	csCfg := chainsync.NewConfig(
		chainsync.WithFindIntersectFunc(func(_ chainsync.CallbackContext, points []pcommon.Point) (pcommon.Point, chainsync.Tip, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range points {
				if len(p.Hash) == 0 {
					cursor = -1
					return p, tip(), nil
				}
				if i := indexOf(p); i >= 0 {
					cursor = i
					return p, tip(), nil
				}
			}
			return pcommon.Point{}, tip(), chainsync.ErrIntersectNotFound
		}),
		chainsync.WithRequestNextFunc(func(ctx chainsync.CallbackContext) error {
			mu.Lock()
			defer mu.Unlock()
			if cursor+1 >= len(chain) {
				return ctx.Server.AwaitReply()
			}
			cursor++
			return ctx.Server.RollForward(conwayBlockType, chain[cursor].raw, tip())
		}),
	)
	bfCfg, err := blockfetch.NewConfig(
		blockfetch.WithRequestRangeFunc(func(ctx blockfetch.CallbackContext, start, end pcommon.Point) error {
			a, b := indexOf(start), indexOf(end)
			if a < 0 || b < a {
				return ctx.Server.NoBlocks()
			}
			if err := ctx.Server.StartBatch(); err != nil {
				return err
			}
			for _, blk := range chain[a : b+1] {
				if err := ctx.Server.Block(conwayBlockType, blk.raw); err != nil {
					return err
				}
			}
			return ctx.Server.BatchDone()
		}),
	)
	if err != nil {
		fail("block-fetch config: %v", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	emit(map[string]any{"event": "listening", "port": listener.Addr().(*net.TCPAddr).Port})
	for {
		c, err := listener.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		errs := make(chan error, 10)
		_, err = ouroboros.NewConnection(
			ouroboros.WithConnection(c),
			ouroboros.WithNetworkMagic(magic),
			ouroboros.WithNodeToNode(true),
			ouroboros.WithServer(true),
			ouroboros.WithErrorChan(errs),
			ouroboros.WithChainSyncConfig(csCfg),
			ouroboros.WithBlockFetchConfig(bfCfg),
		)
		if err != nil {
			emit(map[string]any{"event": "error", "error": err.Error()})
			continue
		}
		go func() {
			for err := range errs {
				if !errors.Is(err, net.ErrClosed) {
					emit(map[string]any{"event": "error", "error": err.Error()})
				}
			}
		}()
	}
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: client <host:port> <magic> <headers> | server <magic> <blocks-file>")
	}
	switch os.Args[1] {
	case "client":
		if len(os.Args) != 5 {
			fail("usage: client <host:port> <magic> <headers>")
		}
		magic, _ := strconv.ParseUint(os.Args[3], 10, 32)
		want, _ := strconv.Atoi(os.Args[4])
		runClient(os.Args[2], uint32(magic), want)
	case "server":
		if len(os.Args) != 4 {
			fail("usage: server <magic> <blocks-file>")
		}
		magic, _ := strconv.ParseUint(os.Args[2], 10, 32)
		runServer(uint32(magic), os.Args[3])
	default:
		fail("unknown mode %s", os.Args[1])
	}
}
