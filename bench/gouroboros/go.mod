module poolfleet/bench/gouroboros

go 1.26.8
