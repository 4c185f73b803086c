//! Just enough of the compound file format (the container of .xls files, and of password-
//! protected .xlsx files) to list its streams and read one. The guard uses it to look at an xls
//! workbook's cell positions before calamine allocates a grid for them.
//!
//! Every offset, length and sector chain comes from the file, so every read is checked: a
//! malformed file gives `None`, never a panic or an allocation larger than the file.

const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Sector numbers above this are markers (end of chain, free, FAT, DIFAT).
const MAX_REGULAR_SECTOR: u32 = 0xFFFF_FFFA;
const MINI_SECTOR: usize = 64;
const ENTRY_SIZE: usize = 128;
const STREAM: u8 = 2;
const ROOT: u8 = 5;

pub(crate) fn is_cfb(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub name: String,
    kind: u8,
    start: u32,
    size: u64,
}

#[derive(Debug)]
pub(crate) struct Cfb<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    mini_cutoff: u64,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    pub entries: Vec<Entry>,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    let lo = u32_at(b, off)? as u64;
    let hi = u32_at(b, off + 4)? as u64;
    Some(lo | (hi << 32))
}

impl<'a> Cfb<'a> {
    pub fn parse(bytes: &'a [u8]) -> Option<Cfb<'a>> {
        if bytes.len() < 512 || !is_cfb(bytes) {
            return None;
        }
        let sector_size = match u16_at(bytes, 0x1E)? {
            9 => 512,
            12 => 4096,
            _ => return None,
        };
        let mut cfb = Cfb {
            bytes,
            sector_size,
            mini_cutoff: u32_at(bytes, 0x38)? as u64,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            entries: Vec::new(),
        };
        let sectors_in_file = bytes.len() / sector_size + 1;

        // The FAT's own sectors: 109 listed in the header, the rest in a chain of DIFAT sectors.
        let fat_sector_count = u32_at(bytes, 0x2C)? as usize;
        if fat_sector_count > sectors_in_file {
            return None;
        }
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
            .filter(|&s| s <= MAX_REGULAR_SECTOR)
            .collect();
        let mut difat = u32_at(bytes, 0x44)?;
        let mut difat_seen = 0;
        while difat <= MAX_REGULAR_SECTOR && fat_sectors.len() < fat_sector_count {
            difat_seen += 1;
            if difat_seen > sectors_in_file {
                return None;
            }
            let sector = cfb.sector(difat)?;
            let per_sector = sector_size / 4 - 1;
            fat_sectors.extend(
                (0..per_sector)
                    .filter_map(|i| u32_at(sector, 4 * i))
                    .filter(|&s| s <= MAX_REGULAR_SECTOR),
            );
            difat = u32_at(sector, 4 * per_sector)?;
        }
        fat_sectors.truncate(fat_sector_count);
        for s in fat_sectors {
            let sector = cfb.sector(s)?;
            cfb.fat
                .extend((0..sector.len() / 4).filter_map(|i| u32_at(sector, 4 * i)));
        }

        let directory = cfb.read_chain(u32_at(bytes, 0x30)?, u64::MAX)?;
        for raw in directory.chunks_exact(ENTRY_SIZE) {
            let name_len = (u16_at(raw, 0x40)? as usize).min(64);
            let units: Vec<u16> = (0..name_len.saturating_sub(2) / 2)
                .filter_map(|i| u16_at(raw, 2 * i))
                .collect();
            let size = u64_at(raw, 0x78)?;
            cfb.entries.push(Entry {
                name: String::from_utf16_lossy(&units),
                kind: raw[0x42],
                start: u32_at(raw, 0x74)?,
                // Version 3 files (512-byte sectors) may leave garbage in the high half.
                size: if sector_size == 512 {
                    size & 0xFFFF_FFFF
                } else {
                    size
                },
            });
        }
        let mini_fat_start = u32_at(bytes, 0x3C)?;
        if mini_fat_start <= MAX_REGULAR_SECTOR {
            let raw = cfb.read_chain(mini_fat_start, u64::MAX)?;
            cfb.mini_fat = (0..raw.len() / 4)
                .filter_map(|i| u32_at(&raw, 4 * i))
                .collect();
        }
        Some(cfb)
    }

    /// A sector of the file; the last one may be short.
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize)
            .checked_add(1)?
            .checked_mul(self.sector_size)?;
        if start >= self.bytes.len() {
            return None;
        }
        let end = (start + self.sector_size).min(self.bytes.len());
        self.bytes.get(start..end)
    }

    /// The sectors of a chain, in order; `None` on a loop or a sector outside the file.
    fn chain(table: &[u32], start: u32, limit: usize) -> Option<Vec<u32>> {
        let mut seen = vec![false; table.len()];
        let mut out = Vec::new();
        let mut cur = start;
        while cur <= MAX_REGULAR_SECTOR {
            let i = cur as usize;
            if i >= table.len() || seen[i] || out.len() >= limit {
                return None;
            }
            seen[i] = true;
            out.push(cur);
            cur = table[i];
        }
        Some(out)
    }

    fn read_chain(&self, start: u32, size: u64) -> Option<Vec<u8>> {
        let sectors = Self::chain(&self.fat, start, self.bytes.len() / self.sector_size + 1)?;
        let mut out = Vec::new();
        for s in sectors {
            out.extend_from_slice(self.sector(s)?);
            if out.len() as u64 >= size {
                break;
            }
        }
        if (out.len() as u64) > size {
            out.truncate(size as usize);
        }
        Some(out)
    }

    /// The names of the streams, for telling an encrypted xlsx from an xls.
    pub fn has_stream(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.kind == STREAM && e.name.eq_ignore_ascii_case(name))
    }

    /// Every stream with this name (a crafted file may hold more than one).
    pub fn streams(&self, name: &str) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| e.kind == STREAM && e.name.eq_ignore_ascii_case(name))
        {
            out.push(self.stream(e)?);
        }
        Some(out)
    }

    fn stream(&self, e: &Entry) -> Option<Vec<u8>> {
        if e.size >= self.mini_cutoff {
            return self.read_chain(e.start, e.size);
        }
        let root = self.entries.iter().find(|e| e.kind == ROOT)?;
        let mini_stream = self.read_chain(root.start, root.size)?;
        let sectors = Self::chain(&self.mini_fat, e.start, mini_stream.len() / MINI_SECTOR + 1)?;
        let mut out = Vec::new();
        for s in sectors {
            let start = (s as usize).checked_mul(MINI_SECTOR)?;
            let end = (start + MINI_SECTOR).min(mini_stream.len());
            out.extend_from_slice(mini_stream.get(start..end)?);
            if out.len() as u64 >= e.size {
                break;
            }
        }
        out.truncate(e.size.min(out.len() as u64) as usize);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_junk_without_panicking() {
        assert!(Cfb::parse(b"").is_none());
        assert!(Cfb::parse(&[0u8; 600]).is_none());
        let mut header = MAGIC.to_vec();
        header.resize(1024, 0xFF);
        let _ = Cfb::parse(&header);
        header[0x1E] = 9;
        header[0x1F] = 0;
        let _ = Cfb::parse(&header);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend(tail);
            if bytes.len() > 0x1F { bytes[0x1E] = 9; bytes[0x1F] = 0; }
            if let Some(c) = Cfb::parse(&bytes) {
                let _ = c.streams("Workbook");
            }
        }
    }
}
