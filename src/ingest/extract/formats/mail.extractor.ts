import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { DocumentMetadataValue, FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { htmlToText } from '../html.extractor.js';
import { joinSections, oneLine, type NumberedSection } from '../sectioned.text.js';
import { decodeText } from '../text.decoder.js';

/**
 * Attachments are skipped, not indexed as documents of their own: a document is one file on disk
 * (its path is what results link to and what a rescan compares), and an attachment has no path.
 * Their names and count are kept in metadata so a search can at least filter on them.
 */
const PARSE_OPTIONS = { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true } as const;

export async function extractEml(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  decodeText(bytes, filePath); // a binary file named .eml fails as binary, not as a mail with garbage text
  const mail = await parseMail(bytes, 'EML', filePath);
  const body = mailBody(mail);
  const metadata = mailMetadata(mail);
  const text = [headerBlock(mail), body].filter(Boolean).join('\n\n');
  return { text, format: 'plain', ...(mail.subject ? { title: oneLine(mail.subject) } : {}), metadata };
}

/**
 * mbox: messages start at a line beginning `From ` (the mboxrd/mboxo separator; a body line starting
 * with "From " is escaped as ">From " by every writer). Each message is a section numbered from 1.
 */
export async function extractMbox(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const raw = decodeText(bytes, filePath);
  if (!raw.startsWith('From ')) throw new ExtractionError('corrupt', 'corrupt MBOX: does not start with a "From " separator line', filePath);
  const messages = raw.split(/^From .*\r?\n/m).filter((part) => part.trim() !== '');
  const sections: NumberedSection[] = [];
  const subjects: string[] = [];
  for (const [i, message] of messages.entries()) {
    const mail = await parseMail(Buffer.from(message.replace(/^>(>*From )/gm, '$1')), `MBOX message ${i + 1}`, filePath);
    const heading = [mail.subject ? oneLine(mail.subject) : '(no subject)', mail.from?.text, mail.date?.toISOString().slice(0, 10)].filter(Boolean).join(' — ');
    sections.push({ number: i + 1, heading, body: [headerBlock(mail), mailBody(mail)].filter(Boolean).join('\n\n') });
    if (mail.subject) subjects.push(oneLine(mail.subject));
  }
  const { text, pages } = joinSections(sections);
  return { text, format: 'markdown', pages, pageUnit: 'message', metadata: { message_count: messages.length, subjects: subjects.slice(0, 100) } };
}

async function parseMail(bytes: Uint8Array, what: string, filePath?: string): Promise<ParsedMail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(Buffer.from(bytes), PARSE_OPTIONS);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${what}: ${(err as Error).message}`, filePath, { cause: err });
  }
  // Any text parses as a mail with a body; a file with none of the headers every mail has is not one.
  if (!mail.from && !mail.date && !mail.subject && !mail.headers.has('message-id')) {
    throw new ExtractionError('corrupt', `corrupt ${what}: no From, Date, Subject or Message-ID header; not a mail message`, filePath);
  }
  return mail;
}

function mailBody(mail: ParsedMail): string {
  if (mail.text?.trim()) return mail.text.trim();
  if (typeof mail.html === 'string') return htmlToText(mail.html).text;
  return '';
}

/** Headers repeated in the text so a search for a sender's name or the subject finds the mail. */
function headerBlock(mail: ParsedMail): string {
  return [
    mail.subject ? `Subject: ${oneLine(mail.subject)}` : '',
    mail.from ? `From: ${mail.from.text}` : '',
    mail.to ? `To: ${addressList(mail.to).map((a) => a.text).join(', ')}` : '',
    mail.date ? `Date: ${mail.date.toISOString()}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function mailMetadata(mail: ParsedMail): Record<string, DocumentMetadataValue> {
  const metadata: Record<string, DocumentMetadataValue> = {};
  if (mail.from) {
    metadata['from'] = mail.from.text;
    metadata['from_address'] = addresses([mail.from])[0] ?? mail.from.text;
  }
  if (mail.to) {
    metadata['to'] = addressList(mail.to).map((a) => a.text).join(', ');
    metadata['to_addresses'] = addresses(addressList(mail.to));
  }
  if (mail.cc) metadata['cc_addresses'] = addresses(addressList(mail.cc));
  if (mail.date && !Number.isNaN(mail.date.getTime())) metadata['date'] = mail.date.toISOString();
  if (mail.subject) metadata['subject'] = oneLine(mail.subject);
  if (mail.messageId) metadata['message_id'] = mail.messageId;
  if (mail.attachments.length > 0) {
    metadata['attachments_skipped'] = mail.attachments.length;
    metadata['attachment_names'] = mail.attachments.map((a) => a.filename ?? '(unnamed)').slice(0, 50);
  }
  return metadata;
}

function addressList(value: AddressObject | AddressObject[]): AddressObject[] {
  return Array.isArray(value) ? value : [value];
}

/** Lower-cased addresses, groups flattened: filter values compare exactly. */
function addresses(objects: AddressObject[]): string[] {
  const out: string[] = [];
  const visit = (list: AddressObject['value']) => {
    for (const entry of list) {
      if (entry.address) out.push(entry.address.toLowerCase());
      if (entry.group) visit(entry.group);
    }
  };
  for (const object of objects) visit(object.value);
  return out;
}
