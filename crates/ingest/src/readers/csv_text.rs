//! Delimited text: plain or gzip, UTF-8 or Windows-1252/Latin-1 (or UTF-16
//! with a BOM), lines ending in LF, CRLF or CR alone. Unless told, the
//! encoding is decided by a first pass over the whole file, which costs
//! about a tenth of a gzip export's ingest (it is decompressed twice);
//! reading as UTF-8 and starting again at the first byte that is not would
//! need the lines already staged taken back.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use encoding_rs::WINDOWS_1252;
use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;

use crate::columns::{CANONICAL_COLUMNS, map_columns};
use crate::sink::Sink;
use crate::{Delimiter, Encoding, IngestError, IngestOptions, InputFile};

/// How much of the (decompressed) start of a file decides its delimiter and
/// line endings; also the block size of the encoding pass.
const SNIFF_BYTES: usize = 1 << 20;

pub(crate) fn read(file: &InputFile, options: &IngestOptions, sink: &mut Sink) -> Result<(), IngestError> {
    let path = Path::new(&file.name);
    let read_error = |source| IngestError::Read { path: path.to_path_buf(), source };
    let corrupt = |message: String| IngestError::Corrupt { path: path.to_path_buf(), format: "CSV", message };
    if std::fs::metadata(&file.path).map_err(read_error)?.len() == 0 {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let mut decompressed = open_decompressed(&file.path).map_err(read_error)?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let head_len = read_up_to(&mut decompressed, &mut head).map_err(|e| corrupt(e.to_string()))?;
    head.truncate(head_len);
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let has_bom =
        head.starts_with(&[0xef, 0xbb, 0xbf]) || head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]);
    let single_byte = match options.encoding {
        Encoding::Utf8 => false,
        Encoding::Windows1252 | Encoding::Latin1 => !has_bom,
        Encoding::Auto if has_bom => false,
        // Decided from the whole file, not its start: the first `£` of a
        // Windows export can come tens of thousands of lines in.
        Encoding::Auto => !Utf8Evidence::of(open_decompressed(&file.path).map_err(read_error)?)
            .map_err(|e| corrupt(e.to_string()))?
            .is_utf8(),
    };
    let cr_only = !head.contains(&b'\n') && head.contains(&b'\r');
    let delimiter = options.delimiter.unwrap_or_else(|| guess_delimiter(&head));
    let stream = Cursor::new(head).chain(decompressed);
    let decoded = DecodeReaderBytesBuilder::new().encoding(single_byte.then_some(WINDOWS_1252)).build(stream);
    let mut builder = csv::ReaderBuilder::new();
    builder.has_headers(false).flexible(true);
    let decoded: Box<dyn Read> = match delimiter {
        Delimiter::Byte(byte) => {
            builder.delimiter(byte);
            Box::new(decoded)
        }
        // Each run of blanks becomes one tab, and fields are not quoted.
        Delimiter::Whitespace => {
            builder.delimiter(b'\t').quoting(false);
            Box::new(BlanksToTabs::new(decoded))
        }
    };
    let mut reader = builder.from_reader(decoded);

    let mut record = csv::ByteRecord::new();
    let mut records_read = 0u64;
    let mut next = |reader: &mut csv::Reader<_>, record: &mut csv::ByteRecord| -> Result<Option<u64>, IngestError> {
        match reader.read_byte_record(record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                records_read += 1;
                let line = match (cr_only, record.position()) {
                    (false, Some(position)) => position.line(),
                    _ => records_read,
                };
                Ok(Some(line))
            }
            Err(e) => Err(corrupt(e.to_string())),
        }
    };
    if next(&mut reader, &mut record)?.is_none() {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let header: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let map = map_columns(path, &header, options)?;
    let canonical_fields = map.canonical_fields();
    sink.start_source(file.name.clone());
    let encoding_name = if single_byte { "Windows-1252" } else { "UTF-8" };
    sink.set_encoding(encoding_name);
    sink.set_absent(map.absent());
    let mut data_lines = 0u64;
    while let Some(line) = next(&mut reader, &mut record)? {
        data_lines += 1;
        match decode_fields(&record, single_byte) {
            Ok(fields) => sink.line(line, &fields, &map, header.len())?,
            Err((field, byte)) => {
                let lossy: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                let column = canonical_fields
                    .iter()
                    .position(|p| *p == Some(field))
                    .map(|slot| format!(" (column `{}`)", CANONICAL_COLUMNS[slot]))
                    .unwrap_or_default();
                let hint = if single_byte {
                    ""
                } else {
                    "; if the file is Windows-1252 or Latin-1, pass --encoding windows-1252"
                };
                let reason =
                    format!("byte 0x{byte:02X} in field {}{column} is not valid {encoding_name}{hint}", field + 1);
                let fields: Vec<&str> = lossy.iter().map(String::as_str).collect();
                sink.unreadable(line, reason, &fields, Some(canonical_fields))?;
            }
        }
    }
    sink.end_source()?;
    if data_lines == 0 {
        return Err(IngestError::HeaderOnly { path: path.to_path_buf() });
    }
    Ok(())
}

/// The fields as text, or the first (field index, byte) that is invalid.
/// Windows-1252 input arrives already transcoded; its five undefined bytes
/// come through as C1 control characters and are rejected here.
fn decode_fields(record: &csv::ByteRecord, single_byte: bool) -> Result<Vec<&str>, (usize, u8)> {
    record
        .iter()
        .enumerate()
        .map(|(index, bytes)| match std::str::from_utf8(bytes) {
            Ok(text) if single_byte => match text.chars().find(|c| ('\u{80}'..='\u{9f}').contains(c)) {
                Some(c) => Err((index, c as u32 as u8)),
                None => Ok(text),
            },
            Ok(text) => Ok(text),
            Err(e) => Err((index, bytes[e.valid_up_to()])),
        })
        .collect()
}

/// The file's bytes, gzip-decompressed when they are gzip.
fn open_decompressed(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut magic = [0u8; 2];
    let magic_len = read_up_to(&mut reader, &mut magic)?;
    let raw = Cursor::new(magic[..magic_len].to_vec()).chain(reader);
    Ok(if magic == [0x1f, 0x8b] { Box::new(MultiGzDecoder::new(raw)) } else { Box::new(raw) })
}

/// What a pass over a file's bytes says about UTF-8.
#[derive(Debug, Default, PartialEq)]
struct Utf8Evidence {
    /// Characters of two bytes or more that are valid UTF-8.
    multibyte: u64,
    /// Bytes that cannot be UTF-8 where they stand.
    invalid: u64,
}

impl Utf8Evidence {
    /// Reads `reader` to its end in blocks (a block's last character may
    /// continue in the next).
    fn of(mut reader: impl Read) -> std::io::Result<Self> {
        let mut evidence = Self::default();
        let mut buffer = vec![0u8; SNIFF_BYTES];
        let mut carried = 0;
        loop {
            let read = read_up_to(&mut reader, &mut buffer[carried..])?;
            if read == 0 {
                evidence.invalid += u64::from(carried > 0);
                return Ok(evidence);
            }
            let filled = carried + read;
            let mut rest = &buffer[..filled];
            loop {
                match std::str::from_utf8(rest) {
                    Ok(text) => {
                        evidence.multibyte += lead_bytes(text.as_bytes());
                        rest = &[];
                        break;
                    }
                    Err(e) => {
                        let (valid, after) = rest.split_at(e.valid_up_to());
                        evidence.multibyte += lead_bytes(valid);
                        match e.error_len() {
                            Some(bad) => {
                                evidence.invalid += 1;
                                rest = &after[bad..];
                            }
                            None => {
                                rest = after;
                                break;
                            }
                        }
                    }
                }
            }
            carried = rest.len();
            buffer.copy_within(filled - carried..filled, 0);
        }
    }

    /// UTF-8 unless bytes that cannot be UTF-8 are as common as characters
    /// that are: a UTF-8 file with a stray bad byte stays UTF-8 (that line
    /// is quarantined), a Windows-1252 one has no valid multi-byte
    /// characters, or by accident only a few.
    fn is_utf8(&self) -> bool {
        self.invalid == 0 || self.multibyte > self.invalid
    }
}

/// The first bytes of multi-byte UTF-8 characters in valid UTF-8.
fn lead_bytes(valid: &[u8]) -> u64 {
    valid.iter().filter(|b| **b >= 0xc0).count() as u64
}

/// The delimiter the header line uses most, of `,`, `;`, tab and `|`;
/// with none of them, runs of blanks when it has some (a fixed-width log).
fn guess_delimiter(head: &[u8]) -> Delimiter {
    let first_line = head.split(|b| *b == b'\n' || *b == b'\r').next().unwrap_or_default();
    let found = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .filter(|d| first_line.contains(d));
    match found {
        Some(byte) => Delimiter::Byte(byte),
        None if first_line.trim_ascii().contains(&b' ') => Delimiter::Whitespace,
        None => Delimiter::Byte(b','),
    }
}

/// Text whose fields are separated by runs of spaces and tabs, as text
/// whose fields are separated by one tab: blanks at the start and end of a
/// line go, every other run becomes a tab.
struct BlanksToTabs<R> {
    inner: R,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Where the unread part of `output` starts.
    start: usize,
    /// At the start of a line (leading blanks are dropped).
    line_start: bool,
    /// Blanks seen since the last field byte, not yet written.
    pending_blank: bool,
}

impl<R: Read> BlanksToTabs<R> {
    fn new(inner: R) -> Self {
        Self { inner, input: vec![0; 64 * 1024], output: Vec::new(), start: 0, line_start: true, pending_blank: false }
    }

    /// Reads and rewrites a block; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        let read = self.inner.read(&mut self.input)?;
        self.output.clear();
        self.start = 0;
        for &byte in &self.input[..read] {
            match byte {
                b' ' | b'\t' => self.pending_blank = !self.line_start,
                b'\n' | b'\r' => {
                    self.output.push(byte);
                    self.line_start = true;
                    self.pending_blank = false;
                }
                _ => {
                    if std::mem::take(&mut self.pending_blank) {
                        self.output.push(b'\t');
                    }
                    self.output.push(byte);
                    self.line_start = false;
                }
            }
        }
        Ok(read > 0)
    }
}

impl<R: Read> Read for BlanksToTabs<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.start == self.output.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let count = out.len().min(self.output.len() - self.start);
        out[..count].copy_from_slice(&self.output[self.start..self.start + count]);
        self.start += count;
        Ok(count)
    }
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(bytes: &[u8]) -> Utf8Evidence {
        Utf8Evidence::of(Cursor::new(bytes.to_vec())).unwrap()
    }

    #[test]
    fn runs_of_blanks_become_one_separator() {
        let text = "  customer   date\tamount \r\n00001 19970101   11.77\n\n 2 19970102 1\n";
        let mut out = String::new();
        BlanksToTabs::new(Cursor::new(text.as_bytes().to_vec())).read_to_string(&mut out).unwrap();
        assert_eq!(out, "customer\tdate\tamount\r\n00001\t19970101\t11.77\n\n2\t19970102\t1\n");
        assert_eq!(guess_delimiter(b"customer date amount\n1 2 3"), Delimiter::Whitespace);
        assert_eq!(guess_delimiter(b"Customer ID,Country\n"), Delimiter::Byte(b','));
        assert_eq!(guess_delimiter(b"single\n"), Delimiter::Byte(b','));
    }

    #[test]
    fn the_whole_file_decides_and_a_character_may_span_two_blocks() {
        let mut late_pound = vec![b'a'; SNIFF_BYTES - 1];
        late_pound.extend("£1".as_bytes());
        assert_eq!(evidence(&late_pound), Utf8Evidence { multibyte: 1, invalid: 0 });
        let mut windows = vec![b'a'; 3 * SNIFF_BYTES];
        windows.extend([0xa3, b'1', b'\n']);
        assert_eq!(evidence(&windows), Utf8Evidence { multibyte: 0, invalid: 1 });
        assert!(!evidence(&windows).is_utf8());
        let mut stray = "£ é ü\n".repeat(10).into_bytes();
        stray.extend([b'x', 0xff, b'\n']);
        assert!(evidence(&stray).is_utf8(), "a stray byte in UTF-8 text");
        assert_eq!(evidence("ok \u{e9}".as_bytes()[..4].as_ref()), Utf8Evidence { multibyte: 0, invalid: 1 });
    }
}
