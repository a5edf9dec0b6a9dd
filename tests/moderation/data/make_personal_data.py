"""Regenerates personal_data.csv, the labelled personal-data set (fixed seed, so the file is
reproducible): ``python tests/moderation/data/make_personal_data.py``. Positive rows hold a
NIK/KK number, a phone number, an email or a bank account number in the formats citizens
write; negative rows hold numbers that are not personal data (dates, money written as Rupiah
or in words, regulations, tickets, addresses)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from forum.seeds import region_rows

HERE = Path(__file__).resolve().parent
rng = random.Random(20261123)

regencies = [r["code"] for r in region_rows() if r["kind"] != "province"]


def nik(kk: bool = False) -> str:
    province, regency = rng.choice(regencies).split(".")
    day = rng.randint(1, 28) + (0 if kk or rng.random() < 0.5 else 40)
    return (
        f"{province}{regency}{rng.randint(1, 30):02d}{day:02d}{rng.randint(1, 12):02d}"
        f"{rng.randint(0, 99):02d}{rng.randint(1, 150):04d}"
    )


def fmt16(d: str) -> str:
    style = rng.choice(["plain", "4s", "dots", "dash", "4dash"])
    if style == "4s":
        return " ".join(d[i : i + 4] for i in range(0, 16, 4))
    if style == "dots":
        return f"{d[:2]}.{d[2:4]}.{d[4:6]}.{d[6:12]}.{d[12:]}"
    if style == "dash":
        return f"{d[:6]}-{d[6:12]}-{d[12:]}"
    if style == "4dash":
        return "-".join(d[i : i + 4] for i in range(0, 16, 4))
    return d


def phone() -> str:
    body = f"8{rng.choice('1235789')}{rng.randint(0, 9)}" + "".join(
        str(rng.randint(0, 9)) for _ in range(rng.randint(7, 9))
    )
    prefix = rng.choice(["0", "+62", "62", "+62 "])
    style = rng.choice(["plain", "dash", "space", "dots"])
    groups = [body[:3], body[3:7], body[7:]]
    sep = {"plain": "", "dash": "-", "space": " ", "dots": "."}[style]
    return prefix + sep.join(groups)


def email() -> str:
    user = rng.choice(["siti", "budi.s", "warga_01", "rahma.dewi", "andi77", "p.sitorus"])
    host = rng.choice(["gmail.com", "yahoo.co.id", "contoh.id", "mail.go.id", "outlook.com"])
    return f"{user}@{host}"


NIK_CONTEXT = [
    "NIK saya {} tapi KTP-el belum jadi juga.",
    "Mohon dicek, nomor KK {} sudah terdaftar sejak 2019.",
    "data: {} (NIK ibu saya), belum masuk DTKS",
    "KTP {}, alamat Jl. Melati RT 03 RW 05",
    "Nomor induk kependudukan: {}",
    "{} itu NIK anak saya yang ditolak sistem PPDB",
    "tolong bantu, kartu keluarga no {} hilang",
]
PHONE_CONTEXT = [
    "Hubungi saya di {} kapan saja.",
    "WA {} (atas nama Pak RT)",
    "nomor HP saya {} mohon ditelepon balik",
    "bisa kontak {} utk info lanjut",
    "Telp/WA: {}",
]


def account() -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([10, 12, 13, 15])))
    if rng.random() < 0.4:  # many account numbers start like a phone number ("0849...")
        digits = "08" + digits[2:]
    style = rng.choice(["plain", "plain", "dash", "space", "dots"])
    if style == "plain":
        return digits
    sep = {"dash": "-", "space": " ", "dots": "."}[style]
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


BANKS = ["BRI", "BNI", "Mandiri", "BCA", "BSI", "BTN", "Bank DKI", "Bank Jatim", "CIMB Niaga"]
ACCOUNT_CONTEXT = [
    "Rekening {bank} {} atas nama desa",
    "Transfer ke rekening {bank} {} a/n Bendahara",
    "no. rek {bank}: {} (Pak Kades)",
    "No. Rek. {} {bank} mohon diverifikasi",
    "norek {bank} {} tolong dicek",
    "Nomor rekening saya di {bank} {}, dana belum masuk",
    "Dana bansos dikirim ke {bank} {} tapi belum cair",
    "rek. {bank} no {} atas nama ibu saya",
]
EMAIL_CONTEXT = ["Email saya {} mohon dibalas.", "kirim berkas ke {} ya", "({})"]
NEGATIVES = [
    "Rapat diadakan pada 12-10-2024 pukul 08.00-15.00 WIB.",
    "Anggaran tahun ini Rp 1.500.000.000 untuk perbaikan jalan.",
    "Sesuai UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi.",
    "Tiket saya ASP-2026-000123 belum ada tanggapan.",
    "Alamat: Jl. Merdeka No. 12, RT 003/RW 007, Kode Pos 40115.",
    "Perpres Nomor 95 Tahun 2018 tentang SPBE perlu dibaca ulang.",
    "Jumlah penduduk 2.345.678 jiwa menurut data 2023.",
    "Nomor virtual account 8808 1234 5678 9012 untuk pembayaran PBB.",
    "Kode invoice 9999-0000-1111-2222 dari vendor.",
    "Sudah 3 tahun, 14 bulan, 250 hari menunggu.",
    "Pasal 12 ayat (3) huruf b perlu diperjelas.",
    "Skor IKM 82,45 pada semester 1 tahun 2025.",
    "Jalan rusak sepanjang 1.250 meter di km 17+300.",
    "Hotline pengaduan 112 dan 110 tidak bisa dihubungi.",
    "Inpres No. 3/2003 sudah berumur 23 tahun.",
    "Versi aplikasi 2.14.7 build 20250101 masih error.",
    "Total 1234567812345678 rupiah itu mustahil.",
    "Nomor seri blangko 0000000000000000 tertulis di formulir.",
    "Koordinat -6.914744, 107.609810 lokasi banjir.",
    "Harga beras naik dari 12.000 ke 15.500 per kg.",
    # Amounts written as Rupiah or in words (their digits may start like a phone number).
    "Anggaran Rp 1.085.731.405 terlalu besar untuk proyek ini.",
    "Anggaran Rp1.085.731.405 terlalu besar untuk proyek ini.",
    "Nilai kontrak Rp 1,5 miliar tanpa lelang terbuka.",
    "Bantuan hanya 2 juta per keluarga, tidak cukup.",
    "Dana desa Rp 0,85 miliar belum cair.",
    "Pagu Rp.  808.123.456.000 di APBD 2025.",
    "Biaya Rp 8.123.456 per unit terlalu mahal.",
    "IDR 1.081.234.567 tertulis di dokumen lelang.",
    "Harga satuan Rp 85.000 dan total Rp 1.085.000.000.",
    "Realisasi 1.085.731.405 rupiah dari target 2 miliar.",
    "Subsidi naik jadi 1,08 triliun tahun depan.",
    "Tunjangan 850 ribu per bulan untuk guru honorer.",
    "Jumlah penerima 1.081.234.567 jiwa menurut laporan.",
    "Rekening kas umum daerah dibuka untuk publik setiap tahun.",
    "Bank sampah desa menampung 1.200 kg per bulan.",
]


def main() -> None:
    rows: list[tuple[str, str]] = []
    for _ in range(150):
        kk = rng.random() < 0.3
        rows.append((rng.choice(NIK_CONTEXT).format(fmt16(nik(kk))), "nik-kk"))
    for _ in range(80):
        rows.append((rng.choice(PHONE_CONTEXT).format(phone()), "phone"))
    for _ in range(30):
        rows.append((rng.choice(EMAIL_CONTEXT).format(email()), "email"))
    rows.append(("Rekening BRI 084965806989 atas nama desa", "bank-account"))
    for _ in range(40):
        text = rng.choice(ACCOUNT_CONTEXT).format(account(), bank=rng.choice(BANKS))
        rows.append((text, "bank-account"))
    for text in NEGATIVES:
        rows.append((text, "none"))
    with (HERE / "personal_data.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
