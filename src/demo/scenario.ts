import type { DemoClock } from './clock.js';
import type { AutotaskSandbox } from './sandboxes/autotask.js';
import type { ConnectWiseSandbox } from './sandboxes/connectwise.js';
import type { HaloSandbox } from './sandboxes/halo.js';

/**
 * The replayed story: one Tuesday morning at three MSP clients, starting 09:00 New York time. Each step happens at
 * a simulated minute; what the service does about it comes from the policy alone (nothing here calls the service
 * except through the sandboxes' signed webhooks, and the 2-hour timeout needs no webhook at all).
 */
export interface ScenarioPsas {
  connectwise: ConnectWiseSandbox;
  autotask: AutotaskSandbox;
  halo: HaloSandbox;
}

export interface Step {
  /** Simulated minutes after the start. */
  at: number;
  say: string;
  run(): Promise<void>;
}

/**
 * Simulated minutes the story lasts: the ConnectWise T1 timeout fires at 120; the story ends before the last printer
 * ticket (opened at 19) reaches its own 2 hours, which then happens in real time while the demo keeps serving.
 */
export const STORY_MINUTES = 128;

const zoneless = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');
const isoZ = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const contoso = {
  company: { id: 250, identifier: 'Contoso', name: 'Contoso Dental' },
  contact: { id: 4412, name: 'Dana Whitfield' },
  contactEmailAddress: 'dana@contoso.example',
  site: { id: 1043, name: 'Main office - Boston' },
};
const cwT1 = {
  board: { id: 1, name: 'Service A' },
  team: { id: 3, name: 'Tier 1' },
  status: { id: 17, name: 'In Progress' },
  owner: { id: 150, identifier: 'jsmith', name: 'Jane Smith' },
};
const atT1 = { queueID: 29682833, assignedResourceID: 29684010, assignedResourceRoleID: 29683001 };
const halo = {
  client_id: 17,
  client_name: 'Initech Ltd',
  user_id: 208,
  user_name: 'Peter Gibbons',
  user_email: 'peter@initech.example',
  site_name: 'Springfield HQ',
};

function connectwiseSteps(cw: ConnectWiseSandbox, clock: DemoClock): Step[] {
  return [
    {
      at: 0,
      say: 'ConnectWise #1001 opened on Tier 1: "Outlook keeps asking for a password"',
      run: async () => {
        cw.addTicket(1001, {
          ...contoso,
          ...cwT1,
          summary: 'Outlook keeps asking for a password',
          initialDescription: 'Prompts every few minutes since the mailbox migration.',
          priority: { id: 6, name: 'Priority 3 - Normal Response' },
          impact: 'Low',
          type: { id: 40, name: 'Software' },
          subType: { id: 41, name: 'Email' },
          dateResponded: isoZ(clock.now()),
        });
        cw.addTechNote(1001, 'Recreated the Outlook profile; the prompts came back after ten minutes.');
        await cw.deliver(1001, { action: 'added' });
      },
    },
    {
      at: 1,
      say: 'ConnectWise #1002 opened: "Ransomware note on FINANCE-PC07"',
      run: async () => {
        cw.addTicket(1002, {
          ...contoso,
          ...cwT1,
          summary: 'Ransomware note on FINANCE-PC07',
          initialDescription: 'Files renamed to .lockbit on the finance share; a ransom note opened on login.',
          priority: { id: 6, name: 'Priority 3 - Normal Response' },
          impact: 'Low',
          type: { id: 42, name: 'Security' },
          dateResponded: isoZ(clock.now()),
        });
        await cw.deliver(1002, { action: 'added' });
      },
    },
    {
      at: 10,
      say: 'ConnectWise #1001: technician adds a note; ConnectWise delivers the callback 4 times (retry burst)',
      run: async () => {
        cw.addTechNote(1001, 'Reset the password and re-registered MFA; prompts persist on the desktop only.');
        await cw.deliver(1001, { copies: 4 });
      },
    },
  ];
}

/** Opens Autotask ticket `id`: the same printer jam again (same company and category, so the third is recurring). */
function openPrinterJam(at: AutotaskSandbox, id: number): () => Promise<void> {
  return async () => {
    at.addTicket(id, {
      ...atT1,
      companyID: 175,
      contactID: 30682856,
      title: 'Printer on the 2nd floor jams again',
      description: 'HP LaserJet jams on every duplex job.',
      priority: 3,
      issueType: 18,
      subIssueType: 204,
    });
    await at.deliver(id, { action: 'Create' });
  };
}

/** Opens Autotask #351201 for the VIP company, already responded to (its first response is now). */
function openVipDockingTicket(at: AutotaskSandbox, clock: DemoClock): () => Promise<void> {
  return async () => {
    at.addTicket(351201, {
      ...atT1,
      companyID: 174,
      contactID: 30682855,
      title: 'Docking station does not detect monitors',
      description: 'CEO laptop, both external monitors dark since this morning.',
      priority: 1,
      issueType: 18,
      firstResponseDateTime: zoneless(clock.now()),
    });
    await at.deliver(351201, { action: 'Create' });
  };
}

function autotaskSteps(at: AutotaskSandbox, clock: DemoClock): Step[] {
  return [
    {
      at: 2,
      say: 'Autotask #351201 opened by a VIP (Globex Executive Office): "Docking station does not detect monitors"',
      run: openVipDockingTicket(at, clock),
    },
    {
      at: 3,
      say: 'Autotask #351202 opened with nobody assigned: "New starter needs the shared mailbox"',
      run: async () => {
        at.addTicket(351202, {
          queueID: 29682833,
          companyID: 175,
          contactID: 30682856,
          title: 'New starter needs the shared mailbox',
          description: 'Access to accounts@ for the new AP clerk.',
          priority: 2,
          issueType: 24,
        });
        await at.deliver(351202, { action: 'Create' });
      },
    },
    { at: 5, say: 'Autotask #351203 opened: printer jam (1st of 3 today)', run: openPrinterJam(at, 351203) },
    { at: 12, say: 'Autotask #351204 opened: printer jam again (2nd)', run: openPrinterJam(at, 351204) },
    {
      at: 15,
      say: 'Autotask #351201: technician note; Autotask re-sends the same webhook 3 times',
      run: async () => {
        at.addTechNote(351201, 'Swapped cable', 'Swapped the USB-C cable; still no video.');
        at.update(351201, {});
        await at.deliver(351201, { copies: 3 });
      },
    },
    { at: 19, say: 'Autotask #351205 opened: printer jam again (3rd)', run: openPrinterJam(at, 351205) },
    {
      at: 25,
      say: 'Autotask #351203 and #351204 completed by the technician (kept #351205 open)',
      run: async () => {
        for (const id of [351203, 351204]) {
          at.update(id, { status: 5 });
          await at.deliver(id);
        }
      },
    },
  ];
}

function haloSteps(h: HaloSandbox, clock: DemoClock): Step[] {
  return [
    {
      at: 4,
      say: 'HaloPSA #4101 opened (P2, no response yet): "Payroll export fails with 0x80070005"',
      run: async () => {
        h.addTicket(4101, {
          ...halo,
          summary: 'Payroll export fails with 0x80070005',
          details: 'The monthly export to the bank stops with access denied.',
          team: '1st Line Support',
          agent_id: 5,
          agent_name: 'Sam Tier-One',
          priority_id: 2,
          category_1: 'Software',
          category_2: 'Payroll',
        });
        await h.deliver(4101, { event: 'New Ticket Logged' });
      },
    },
    {
      at: 8,
      say: 'HaloPSA #4102 opened: "Site down: all users at the Springfield office offline"',
      run: async () => {
        h.addTicket(4102, {
          ...halo,
          summary: 'Site down: all users at the Springfield office offline',
          details: 'No network since 09:05; the router shows amber.',
          team: '1st Line Support',
          agent_id: 5,
          agent_name: 'Sam Tier-One',
          priority_id: 3,
          responsedate: zoneless(clock.now()).replace(/\.\d{3}$/, ''),
        });
        await h.deliver(4102, { event: 'New Ticket Logged' });
      },
    },
    {
      at: 20,
      say: 'HaloPSA #4101: technician note; Halo re-sends the webhook 3 times',
      run: async () => {
        h.addTechNote(4101, 'Asked the customer for the export log; waiting for the file.');
        await h.deliver(4101, { copies: 3 });
      },
    },
  ];
}

/** The whole story, in time order. */
export function scenario(psas: ScenarioPsas, clock: DemoClock): Step[] {
  return [
    ...connectwiseSteps(psas.connectwise, clock),
    ...autotaskSteps(psas.autotask, clock),
    ...haloSteps(psas.halo, clock),
  ].sort((a, b) => a.at - b.at);
}
