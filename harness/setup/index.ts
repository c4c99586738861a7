// Machine inspection (`cutover doctor`) and installer (`cutover setup`).
export { FAMILIES, PREREQUISITES, prerequisitesFor } from './prerequisites.ts';
export type { Detect, Family, Need, Prerequisite } from './prerequisites.ts';
export { doctorOk, formatDoctor, inspectMachine, summaryLine, SETUP_COMMAND } from './doctor.ts';
export type { Check, InspectOptions, MachineFacts } from './doctor.ts';
export { extraSetupSteps, runSetup, SetupError } from './setup.ts';
export type { Log, SetupOptions, SetupResult, SetupStep } from './setup.ts';
