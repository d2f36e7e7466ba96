// The kinds the operator reads and writes, as the manager addresses them (group/version, kind, REST plural).
import { API_VERSION } from "../api/common.ts";
import type { KindRef } from "./manager/context.ts";

export const KIND = {
  StakePool: { apiVersion: API_VERSION, kind: "StakePool", plural: "stakepools" },
  Relay: { apiVersion: API_VERSION, kind: "Relay", plural: "relays" },
  KesRotation: { apiVersion: API_VERSION, kind: "KesRotation", plural: "kesrotations" },
  MultikeyGroup: { apiVersion: API_VERSION, kind: "MultikeyGroup", plural: "multikeygroups" },
  ConfigMap: { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps" },
  Secret: { apiVersion: "v1", kind: "Secret", plural: "secrets" },
  Service: { apiVersion: "v1", kind: "Service", plural: "services" },
  Pod: { apiVersion: "v1", kind: "Pod", plural: "pods" },
  StatefulSet: { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets" },
  PodDisruptionBudget: { apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets" },
  NetworkPolicy: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies" },
  Job: { apiVersion: "batch/v1", kind: "Job", plural: "jobs" },
} as const satisfies Record<string, KindRef>;
