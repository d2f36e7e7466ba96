// The controllers the operator runs. Each one is a Controller (../manager/context.ts); the manager gives each its
// own work queue, workers and field manager.
import type { Controller } from "../manager/context.ts";

export const controllers: Controller[] = [];
