// Machine inspection (`cutover doctor`) and installer (`cutover setup`).
import { containerHostsStep } from './container-hosts.ts';
import { extraSetupSteps } from './setup.ts';

export { LIBVIRT_FAMILIES, PREREQUISITES, prerequisitesFor } from './prerequisites.ts';
export type { Detect, Need, Prerequisite } from './prerequisites.ts';
export { doctorOk, formatDoctor, inspectMachine, summaryLine, SETUP_COMMAND } from './doctor.ts';
export type { Check, InspectOptions, MachineFacts } from './doctor.ts';
export { extraSetupSteps, runSetup, SetupError } from './setup.ts';
export type { Log, SetupOptions, SetupResult, SetupStep } from './setup.ts';
export { containerHostsStep, prepareContainerHosts } from './container-hosts.ts';

// The libvirt families' hosts: after their packages (docker.io, debootstrap) are in.
if (!extraSetupSteps.includes(containerHostsStep)) extraSetupSteps.push(containerHostsStep);
