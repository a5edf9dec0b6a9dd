"""Demo data for `rembug demo`: agencies, people and realistic Indonesian contributions.

Pure data, no project imports. A comment's "section" is the exact heading text of its section
in `inpres-3-2003-egovernment.md` (leading "#" and spaces stripped), or None for a comment on the
whole consultation. Every "author" and "supporters" key names a PEOPLE entry with the role
"citizen"; agency values are AGENCIES slugs, or None when the citizen does not know the agency;
regions are Kemendagri codes (a 2-digit province or a "xx.yy" regency/city). Names, addresses
and stories are invented. The two aspirations with a "note" carry a fake phone number on
purpose, so that the moderation demo has personal data to redact.
"""

from typing import Literal, NotRequired, TypedDict

Role = Literal["admin", "moderator", "official", "citizen"]
CommentState = Literal["published", "pending", "rejected"]
AspirationState = Literal["pending", "published", "rejected", "responded"]
Visibility = Literal["public", "anonymous", "confidential"]
RejectReason = Literal["off-topic", "abusive", "spam", "personal-data", "duplicate", "other"]


class Agency(TypedDict):
    slug: str
    name: str
    short_name: str
    description: str


class Category(TypedDict):
    slug: str
    name_id: str
    name_en: str


class Person(TypedDict):
    key: str
    name: str
    email: str
    role: Role
    agency: str | None


class Reply(TypedDict):
    author: str
    body: str
    state: CommentState


class Comment(TypedDict):
    author: str
    section: str | None
    body: str
    state: CommentState
    reject_reason: NotRequired[RejectReason]
    replies: list[Reply]


class Aspiration(TypedDict):
    author: str
    title: str
    body: str
    category: str
    region: str
    agency: str | None
    visibility: Visibility
    state: AspirationState
    reject_reason: NotRequired[RejectReason]
    response: NotRequired[str]
    supporters: list[str]
    note: NotRequired[str]


# The agency that publishes the demo consultation.
CONSULTATION_AGENCY = "komdigi"

# Section headings of the demo consultation, verbatim from the Markdown source.
_PEMERINTAH = "Pemerintah yang Diharapkan"
_MENUJU = "Menuju *E-Government*"
_TUJUAN = "Tujuan Pengembangan *E-Government*"
_KONDISI = "Kondisi Saat Ini"
_KESIAPAN = "Kesiapan Memanfaatkan Teknologi Informasi"
_INISIATIF = "Inisiatif *E-Government* Sampai Saat Ini"
_STRATEGI = "Strategi Pengembangan *E-Government*"
_LANGKAH = "Langkah Pelaksanaan"
_BACK_OFFICE = "*Sistem Manajemen & Kelembagaan Back Office*"


AGENCIES: list[Agency] = [
    {
        "slug": "komdigi",
        "name": "Kementerian Komunikasi dan Digital",
        "short_name": "Komdigi",
        "description": (
            "Kementerian yang menyelenggarakan urusan pemerintahan di bidang komunikasi dan "
            "digital, termasuk kebijakan transformasi digital pemerintah."
        ),
    },
    {
        "slug": "disdukcapil-dki",
        "name": "Dinas Kependudukan dan Pencatatan Sipil Provinsi DKI Jakarta",
        "short_name": "Disdukcapil DKI",
        "description": (
            "Melayani administrasi kependudukan warga Jakarta, mulai dari KTP-el dan kartu "
            "keluarga hingga akta kelahiran dan kematian."
        ),
    },
    {
        "slug": "dpupr-bandung",
        "name": "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bandung",
        "short_name": "DPUPR Bandung",
        "description": (
            "Mengelola jalan, trotoar, drainase, persetujuan bangunan gedung, dan penataan ruang "
            "di Kota Bandung."
        ),
    },
    {
        "slug": "dinkes-jatim",
        "name": "Dinas Kesehatan Provinsi Jawa Timur",
        "short_name": "Dinkes Jatim",
        "description": (
            "Membina dan mengoordinasikan pelayanan kesehatan di Jawa Timur, termasuk pembinaan "
            "puskesmas bersama dinas kesehatan kabupaten/kota."
        ),
    },
    {
        "slug": "dishub-surabaya",
        "name": "Dinas Perhubungan Kota Surabaya",
        "short_name": "Dishub Surabaya",
        "description": (
            "Mengatur lalu lintas, perparkiran, angkutan umum, dan penerangan jalan umum di Kota "
            "Surabaya."
        ),
    },
]

CATEGORIES: list[Category] = [
    {"slug": "layanan-publik", "name_id": "Layanan publik", "name_en": "Public services"},
    {"slug": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"},
    {"slug": "kesehatan", "name_id": "Kesehatan", "name_en": "Health"},
    {"slug": "pendidikan", "name_id": "Pendidikan", "name_en": "Education"},
    {"slug": "kependudukan", "name_id": "Kependudukan", "name_en": "Civil registration"},
    {"slug": "transportasi", "name_id": "Transportasi", "name_en": "Transport"},
    {"slug": "lingkungan", "name_id": "Lingkungan", "name_en": "Environment"},
    {
        "slug": "teknologi-informasi",
        "name_id": "Teknologi informasi",
        "name_en": "Information technology",
    },
    {
        "slug": "keamanan-ketertiban",
        "name_id": "Keamanan dan ketertiban",
        "name_en": "Public order and safety",
    },
    {"slug": "lainnya", "name_id": "Lainnya", "name_en": "Other"},
]

PEOPLE: list[Person] = [
    {
        "key": "admin",
        "name": "Rahmat Hidayat",
        "email": "rahmat.hidayat@contoh.id",
        "role": "admin",
        "agency": None,
    },
    {
        "key": "moderator_lina",
        "name": "Lina Kusumawati",
        "email": "lina.kusumawati@contoh.id",
        "role": "moderator",
        "agency": None,
    },
    {
        "key": "moderator_yusuf",
        "name": "Yusuf Maulana",
        "email": "yusuf.maulana@contoh.id",
        "role": "moderator",
        "agency": None,
    },
    {
        "key": "official_komdigi",
        "name": "Ratna Wulandari",
        "email": "ratna.wulandari@contoh.id",
        "role": "official",
        "agency": "komdigi",
    },
    {
        "key": "official_disdukcapil",
        "name": "Hendra Saputra",
        "email": "hendra.saputra@contoh.id",
        "role": "official",
        "agency": "disdukcapil-dki",
    },
    {
        "key": "official_dpupr",
        "name": "Dadang Kurniawan",
        "email": "dadang.kurniawan@contoh.id",
        "role": "official",
        "agency": "dpupr-bandung",
    },
    {
        "key": "official_dinkes",
        "name": "Endah Permatasari",
        "email": "endah.permatasari@contoh.id",
        "role": "official",
        "agency": "dinkes-jatim",
    },
    {
        "key": "official_dishub",
        "name": "Bambang Setiadi",
        "email": "bambang.setiadi@contoh.id",
        "role": "official",
        "agency": "dishub-surabaya",
    },
    # Citizens; the comment above each says who they are in the stories.
    # Jakarta Selatan, karyawati swasta, ibu dua anak.
    {
        "key": "siti",
        "name": "Siti Rahmawati",
        "email": "siti.rahma@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Surabaya, pedagang, logat Suroboyoan.
    {
        "key": "budi",
        "name": "Budi Prasetyo",
        "email": "budi.prasetyo@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Denpasar, punya usaha jasa digital kecil.
    {
        "key": "made",
        "name": "I Made Wirawan",
        "email": "made.wirawan@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Medan, programmer.
    {
        "key": "tigor",
        "name": "Tigor Simanjuntak",
        "email": "tigor.simanjuntak@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Makassar, mahasiswa.
    {
        "key": "andi",
        "name": "Andi Fikri Ramadhan",
        "email": "andi.fikri@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Jakarta Timur, guru SD.
    {
        "key": "dewi",
        "name": "Dewi Anggraini",
        "email": "dewi.anggraini@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Bandung, karyawan swasta.
    {
        "key": "asep",
        "name": "Asep Saepudin",
        "email": "asep.saepudin@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Desa di Pulau Timor, NTT, perangkat desa.
    {
        "key": "maria",
        "name": "Maria Yosefina Bria",
        "email": "maria.bria@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Pontianak, pemilik toko bangunan.
    {
        "key": "fransiska",
        "name": "Fransiska Lim",
        "email": "fransiska.lim@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Semarang, analis keamanan informasi.
    {
        "key": "fajar",
        "name": "Fajar Nugroho",
        "email": "fajar.nugroho@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Sidoarjo, kader posyandu.
    {
        "key": "nurul",
        "name": "Nurul Hidayah",
        "email": "nurul.hidayah@contoh.id",
        "role": "citizen",
        "agency": None,
    },
    # Bandung, pensiunan guru, 68 tahun.
    {
        "key": "suparno",
        "name": "Suparno Wiryo",
        "email": "suparno.wiryo@contoh.id",
        "role": "citizen",
        "agency": None,
    },
]

COMMENTS: list[Comment] = [
    # On the whole consultation.
    {
        "author": "tigor",
        "section": None,
        "body": (
            "Saya apresiasi dokumen ini dibuka untuk publik, tapi jujur saja isinya sudah sangat "
            "ketinggalan zaman. Ini ditulis tahun 2003, waktu itu kebanyakan orang belum punya HP, "
            "apalagi smartphone. Sekarang hampir semua urusan sudah lewat aplikasi dan "
            "WhatsApp.\n\n"
            "Saran saya: sebelum membahas pasal per pasal, tolong jelaskan dulu hubungan dokumen "
            "ini dengan aturan yang lebih baru seperti Perpres SPBE dan UU Pelindungan Data "
            "Pribadi. Mana yang masih berlaku, mana yang mau direvisi? Kalau tidak jelas, masukan "
            "warga nanti bisa salah sasaran."
        ),
        "state": "published",
        "replies": [
            {
                "author": "andi",
                "body": (
                    "Setuju bang. Baca bagian warnet sama Multipurpose Community Center langsung "
                    "berasa baca buku sejarah 😅"
                ),
                "state": "published",
            },
            {
                "author": "fajar",
                "body": (
                    "Menambahkan: perlu juga tabel perbandingan 'dulu vs sekarang' di awal "
                    "dokumen, supaya warga yg tidak terbiasa membaca peraturan bisa langsung paham "
                    "apa yang berubah."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "suparno",
        "section": None,
        "body": (
            "Assalamualaikum. Saya pensiunan guru, umur 68 tahun, tinggal di Bandung. Terima kasih "
            "pemerintah sudah mau mendengar pendapat rakyat lewat forum seperti ini, walaupun saya "
            "menulis ini dibantu cucu.\n\n"
            "Pesan saya cuma satu: silakan semua layanan dibuat online, tetapi jangan lupakan kami "
            "yang tua-tua. Tidak semua orang bisa membaca tulisan kecil di layar HP atau mengerti "
            "kode OTP. Tolong tetap sediakan loket dan petugas yang sabar melayani secara langsung."
        ),
        "state": "published",
        "replies": [
            {
                "author": "nurul",
                "body": (
                    "Betul sekali Pak. Ibu saya juga begitu, tiap mau urus apa2 harus nunggu saya "
                    "pulang kerja krn gak ngerti aplikasinya."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "siti",
        "section": None,
        "body": (
            "Usul untuk panitia konsultasi: tolong dibuatkan ringkasan satu halaman dengan bahasa "
            "yang sederhana. Dokumennya panjang sekali dan bahasanya sangat birokratis, saya yakin "
            "banyak warga yang berhenti membaca di halaman kedua."
        ),
        "state": "pending",
        "replies": [],
    },
    {
        "author": "maria",
        "section": None,
        "body": (
            "Terima kasih sudah membuka konsultasi ini. Mohon undangan untuk memberi masukan juga "
            "disebarkan lewat kepala desa, gereja, masjid, dan grup WhatsApp warga, bukan hanya di "
            "website. Di kampung kami banyak yang punya HP tapi tidak tahu ada forum seperti ini."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "budi",
        "section": None,
        "body": (
            "Percuma konsultasi-konsultasian, ujung2nya pejabatnya cuma rapat di hotel terus studi "
            "banding ke luar negeri. Dasar tukang makan gaji buta semua, otak udang, gak ada yg "
            "becus ngurus rakyat!"
        ),
        "state": "rejected",
        "reject_reason": "abusive",
        "replies": [],
    },
    {
        "author": "tigor",
        "section": None,
        "body": (
            "Saya apresiasi dokumen ini dibuka untuk publik, tapi isinya sudah sangat ketinggalan "
            "zaman. Ditulis tahun 2003, waktu itu kebanyakan orang belum punya smartphone. Tolong "
            "jelaskan dulu hubungan dokumen ini dengan Perpres SPBE dan UU Pelindungan Data "
            "Pribadi, mana yang masih berlaku dan mana yang mau direvisi."
        ),
        "state": "rejected",
        "reject_reason": "duplicate",
        "replies": [],
    },
    # Section: Pemerintah yang Diharapkan
    {
        "author": "dewi",
        "section": _PEMERINTAH,
        "body": (
            "Poin 3 huruf b menyebut masyarakat ingin aspirasinya didengar. Itu benar sekali, "
            "tetapi pengalaman saya, didengar saja tidak cukup. Dua kali saya mengirim pengaduan "
            "soal sekolah lewat kanal resmi, statusnya berhenti di 'sedang diproses' "
            "berbulan-bulan tanpa kabar.\n\n"
            "Saya usul ditambahkan kewajiban yang jelas: batas waktu tanggapan, nama unit yang "
            "bertanggung jawab, dan pemberitahuan kepada pelapor setiap kali status berubah. Tanpa "
            "itu, dialog publik hanya akan jadi slogan."
        ),
        "state": "published",
        "replies": [
            {
                "author": "siti",
                "body": (
                    "Setuju Bu Dewi. Minimal ada nomor tiket dan kita bisa cek sudah sampai mana, "
                    "seperti lacak paket."
                ),
                "state": "published",
            },
            {
                "author": "budi",
                "body": "Lha iyo, lapor ae koyok ngomong karo tembok. Semoga forum iki bedo.",
                "state": "pending",
            },
        ],
    },
    {
        "author": "fransiska",
        "section": _PEMERINTAH,
        "body": (
            "Soal kemitraan dengan swasta (poin 4 huruf c), saya setuju asalkan transparan. Saya "
            "pelaku usaha kecil di Pontianak dan sering dengar aplikasi pemerintah dibuat vendor, "
            "lalu begitu kontraknya habis aplikasinya mati dan datanya entah di mana. Tolong "
            "diatur bahwa kode sumber dan data tetap milik pemerintah, dan kontraknya bisa dilihat "
            "publik."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "asep",
        "section": _PEMERINTAH,
        "body": (
            "Poin 4a ttg birokrasi yg kaku masih relevan bgt sampe sekarang. Udah jaman digital "
            "tapi tiap urus surat di kelurahan masih disuruh bawa fotokopi KK, fotokopi KTP, "
            "rangkap 3 pula. Padahal datanya kan udah ada di sistem, buat apa atuh fotokopi terus?"
        ),
        "state": "pending",
        "replies": [],
    },
    # Section: Menuju *E-Government*
    {
        "author": "made",
        "section": _MENUJU,
        "body": (
            "Arah menuju e-government sudah tepat untuk tahun 2003, tapi istilahnya sekarang sudah "
            "berganti jadi Sistem Pemerintahan Berbasis Elektronik (SPBE) dan transformasi "
            "digital. Sebaiknya dokumen ini disesuaikan supaya tidak membingungkan, karena di "
            "daerah kami pegawai dinas pun bingung mana acuan yang dipakai."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "nurul",
        "section": _MENUJU,
        "body": (
            "Pesan saya, jangan cuma mindahin formulir kertas ke online. Kalau prosesnya tetap "
            "ribet, harus bolak-balik, tanda tangan basah, cap sana sini, ya sama aja gak ada "
            "gunanya."
        ),
        "state": "published",
        "replies": [
            {
                "author": "suparno",
                "body": (
                    "Setuju, Nak. Yang penting urusannya selesai, bukan aplikasinya yang banyak."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "siti",
        "section": _MENUJU,
        "body": (
            "Setuju bahwa transformasi harus segera dilakukan, tapi mohon ada target yang jelas: "
            "tahun berapa layanan apa sudah bisa diurus penuh secara online, dan bagaimana warga "
            "bisa memantau capaiannya."
        ),
        "state": "published",
        "replies": [],
    },
    # Section: Tujuan Pengembangan *E-Government*
    {
        "author": "maria",
        "section": _TUJUAN,
        "body": (
            "Tujuan huruf a bilang jaringan informasi dan pelayanan publik harus terjangkau di "
            "seluruh wilayah Indonesia dengan biaya yang terjangkau. Lebih dari dua puluh tahun "
            "sejak aturan ini dibuat, di desa kami di Pulau Timor sinyal masih hanya ada di atas "
            "bukit dekat kuburan. Anak-anak sekolah kalau mau kirim tugas harus jalan ke sana "
            "sore-sore.\n\n"
            "Kalau layanan pemerintah semua dipindah ke aplikasi, kami di desa justru makin "
            "tertinggal. Mohon tujuan ini diberi ukuran yang jelas, misalnya berapa persen desa "
            "yang sudah dapat sinyal 4G yang stabil, dan diumumkan setiap tahun per kabupaten.\n\n"
            "Satu lagi soal biaya: paket data memang makin murah di kota, tapi untuk keluarga "
            "petani yang penghasilannya tidak menentu, beli pulsa tetap berat. Mungkin bisa "
            "dipikirkan akses gratis untuk situs layanan pemerintah."
        ),
        "state": "published",
        "replies": [
            {
                "author": "made",
                "body": (
                    "Ide akses gratis untuk situs pemerintah menarik. Dulu ada operator yang bikin "
                    "kuota khusus belajar, harusnya bisa juga untuk layanan publik."
                ),
                "state": "published",
            },
            {
                "author": "andi",
                "body": (
                    "Di Sulsel juga masih banyak desa blank spot kak, apalagi di pulau-pulau kecil."
                ),
                "state": "published",
            },
            {
                "author": "tigor",
                "body": (
                    "Setuju soal ukuran yang jelas. Tanpa indikator per kabupaten, klaim 'sudah "
                    "merata' gampang sekali dibuat."
                ),
                "state": "pending",
            },
        ],
    },
    {
        "author": "fajar",
        "section": _TUJUAN,
        "body": (
            "Tujuan huruf c tentang fasilitas dialog publik menurut saya paling penting dan paling "
            "sering diabaikan. Forum konsultasi seperti ini bagus, tetapi harus diakhiri dengan "
            "laporan: masukan mana yang diterima, mana yang ditolak, dan apa alasannya. Kalau "
            "warga tidak pernah tahu nasib masukannya, lama-lama tidak ada yang mau berpartisipasi "
            "lagi."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "budi",
        "section": _TUJUAN,
        "body": (
            "Katanya pelayanan 'tidak dibatasi sekat waktu'. Lha kenyataannya aplikasi layanan "
            "sering maintenance pas malam, terus ada yg jam 4 sore udah gak bisa daftar. Online "
            "kok ada jam kantornya, rek 😂"
        ),
        "state": "published",
        "replies": [
            {
                "author": "asep",
                "body": (
                    "Wkwk sama, kang. Pernah daftar antrean jam 12 malem, pas jam 00.01 servernya "
                    "langsung down."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "fransiska",
        "section": _TUJUAN,
        "body": (
            "Tujuan huruf b soal hubungan dengan dunia usaha: untuk NIB lewat OSS memang sudah "
            "jauh lebih mudah, saya akui. Tapi izin turunannya masih harus mampir ke beberapa "
            "dinas dengan syarat yang beda-beda. Harapan saya semua bisa selesai di satu tempat, "
            "dengan status yang bisa dipantau."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "dewi",
        "section": _TUJUAN,
        "body": (
            "Terkait huruf d, transaksi dan layanan antarlembaga. Saya guru SD; setiap musim "
            "penerimaan murid baru selalu ada masalah karena data di Dapodik tidak sama dengan "
            "data kependudukan, entah tanggal lahir atau nama yang beda satu huruf. Orang tua yang "
            "disuruh bolak-balik membetulkan, padahal itu urusan antarinstansi."
        ),
        "state": "pending",
        "replies": [],
    },
    # Section: Kondisi Saat Ini
    {
        "author": "tigor",
        "section": _KONDISI,
        "body": (
            "Bab 'Kondisi Saat Ini' jelas harus ditulis ulang. Yang digambarkan di sini kondisi "
            "2003. Hari ini pengguna internet di Indonesia sudah jauh melampaui separuh penduduk, "
            "hampir semua lewat HP, dan instansi pemerintah punya ribuan aplikasi. Masalahnya "
            "sudah bergeser: dari 'belum ada situs' menjadi 'terlalu banyak aplikasi yang tidak "
            "saling terhubung dan rawan bocor'. Tolong pakai data terbaru dan sebutkan sumbernya."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "andi",
        "section": _KONDISI,
        "body": (
            "Permisi min, mau tanya pendaftaran CPNS tahun ini kapan dibuka ya? Formasi buat "
            "lulusan teknik sipil ada gak? Makasih."
        ),
        "state": "rejected",
        "reject_reason": "off-topic",
        "replies": [],
    },
    {
        "author": "nurul",
        "section": _KONDISI,
        "body": (
            "Kondisi sekarang itu semua orang pegangnya HP, bukan komputer. Ibu2 di posyandu "
            "tempat saya jadi kader lebih ngerti WhatsApp drpd buka website. Jadi kalau mau bikin "
            "layanan ya harus gampang dipake di HP, tulisannya jelas, gak banyak menu."
        ),
        "state": "published",
        "replies": [],
    },
    # Section: Kesiapan Memanfaatkan Teknologi Informasi
    {
        "author": "maria",
        "section": _KESIAPAN,
        "body": (
            "Tentang infrastruktur jaringan informasi (poin 8 huruf b). Di desa kami sudah ada "
            "menara BTS dari program pemerintah, kami bersyukur. Tetapi kalau listrik padam, "
            "sinyal ikut hilang, dan di musim hujan padamnya bisa berhari-hari. Mohon kesiapan "
            "infrastruktur tidak hanya dihitung dari jumlah menara, tetapi juga dari berapa jam "
            "sinyalnya benar-benar menyala."
        ),
        "state": "published",
        "replies": [
            {
                "author": "fransiska",
                "body": (
                    "Di daerah perbatasan Kalbar juga sama, Bu. Menaranya ada, sinyalnya timbul "
                    "tenggelam."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "fajar",
        "section": _KESIAPAN,
        "body": (
            "Poin 8 huruf c menyebut kualitas dan keamanan pengelolaan informasi. Ini bagian yang "
            "paling mendesak untuk diperbarui. Dalam beberapa tahun terakhir kita berkali-kali "
            "mendengar kabar kebocoran data pribadi dari sistem pemerintah, dan serangan "
            "ransomware ke Pusat Data Nasional Sementara tahun 2024 memperlihatkan bahwa banyak "
            "instansi bahkan tidak punya cadangan data.\n\n"
            "Usul saya:\n"
            "1. Standar keamanan minimum yang wajib dan diaudit secara independen, bukan sekadar "
            "imbauan.\n"
            "2. Setiap instansi wajib punya cadangan data yang diuji pemulihannya secara berkala.\n"
            "3. Kewajiban memberi tahu warga yang terdampak bila terjadi kebocoran, sesuai UU "
            "Pelindungan Data Pribadi.\n"
            "4. Prinsip minimalisasi data: jangan minta NIK, nama ibu kandung, dan swafoto dengan "
            "KTP kalau layanannya tidak membutuhkan.\n\n"
            "Tanpa kepercayaan bahwa data kita aman, ajakan untuk beralih ke layanan online akan "
            "sulit diterima."
        ),
        "state": "published",
        "replies": [
            {
                "author": "tigor",
                "body": (
                    "Poin 4 penting banget. Banyak formulir pemerintah minta foto KTP padahal cuma "
                    "buat daftar webinar."
                ),
                "state": "published",
            },
            {
                "author": "siti",
                "body": (
                    "Saya pernah ditelepon penagih pinjol yg tahu nama lengkap dan alamat saya "
                    "padahal saya tdk pernah pinjam. Entah bocor dari mana. Tolong serius "
                    "ditangani."
                ),
                "state": "published",
            },
            {
                "author": "budi",
                "body": "Setuju, cadangan data itu harusnya wajib.",
                "state": "published",
            },
        ],
    },
    {
        "author": "suparno",
        "section": _KESIAPAN,
        "body": (
            "Bagian masyarakat dan sumber daya manusia (huruf e). Saya mengusulkan agar ada "
            "pendamping digital di setiap kelurahan, misalnya mahasiswa KKN atau karang taruna, "
            "yang bisa membantu warga lanjut usia mengisi formulir online. Kami ini bukan tidak "
            "mau belajar, tetapi perlu diajari pelan-pelan dan berulang-ulang. Pelatihan satu kali "
            "di aula kecamatan tidak cukup."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "asep",
        "section": _KESIAPAN,
        "body": (
            "E-leadership mah yg paling susah. Pengalaman di sini, ganti kepala daerah, ganti lagi "
            "aplikasinya, ganti lagi nama programnya. Data lama gak tau ke mana. Harusnya ada "
            "aturan biar sistem yg udah jalan gak dibuang gitu aja tiap ganti pimpinan."
        ),
        "state": "pending",
        "replies": [],
    },
    {
        "author": "made",
        "section": _KESIAPAN,
        "body": (
            "Dari sisi lingkungan bisnis (huruf d): saya punya usaha jasa digital kecil di "
            "Denpasar. Untuk ikut pengadaan aplikasi pemerintah, syarat pengalaman dan modalnya "
            "sering hanya bisa dipenuhi perusahaan besar. Kalau mau industri TI dalam negeri "
            "tumbuh, beri ruang juga untuk UMKM dan pengembang lokal, misalnya lewat paket "
            "pekerjaan kecil yang terbuka di e-katalog."
        ),
        "state": "published",
        "replies": [],
    },
    # Section: Inisiatif *E-Government* Sampai Saat Ini
    {
        "author": "tigor",
        "section": _INISIATIF,
        "body": (
            "Yang lucu (atau sedih), pengamatan poin 10 bahwa mayoritas situs pemerintah masih di "
            "tingkat persiapan ternyata masih cukup relevan di 2026. Banyak situs pemda isinya "
            "cuma berita kegiatan pejabat, dokumen diunggah sebagai PDF hasil scan miring, "
            "sertifikat SSL kedaluwarsa, bahkan ada yang disusupi iklan judi online. Sebaiknya ada "
            "pemeriksaan rutin dan skor yang diumumkan ke publik."
        ),
        "state": "published",
        "replies": [
            {
                "author": "fajar",
                "body": (
                    "Kasus halaman .go.id yang disusupi konten judi itu menunjukkan banyak sistem "
                    "tidak pernah diperbarui. Skor publik bisa mendorong perbaikan."
                ),
                "state": "published",
            },
            {
                "author": "andi",
                "body": (
                    "Setuju, kalo bisa ada ranking situs pemda. Biar pada malu terus dibenerin."
                ),
                "state": "published",
            },
        ],
    },
    {
        "author": "siti",
        "section": _INISIATIF,
        "body": (
            "Poin 11 huruf c bilang inisiatif dilakukan sendiri-sendiri. Ini yang saya rasakan "
            "sampai sekarang: di HP saya ada aplikasi untuk pajak, untuk BPJS, untuk kependudukan, "
            "untuk pendaftaran sekolah anak, untuk samsat, belum lagi aplikasi dari pemprov. "
            "Masing-masing minta daftar ulang, verifikasi wajah ulang, kata sandinya beda-beda.\n\n"
            "Mohon ke depan cukup satu akun untuk semua layanan pemerintah, dan data yang sudah "
            "pernah kita serahkan tidak diminta lagi."
        ),
        "state": "published",
        "replies": [
            {
                "author": "dewi",
                "body": "Betul Bu. Memori HP saya sampai penuh gara-gara aplikasi pemerintah.",
                "state": "published",
            },
            {
                "author": "nurul",
                "body": "Iya, lupa password terus, ujung2nya datang langsung ke kantor juga.",
                "state": "published",
            },
            {
                "author": "made",
                "body": (
                    "Setuju satu akun, asal keamanannya juga dijamin ya. Kalau satu akun bocor, "
                    "semuanya ikut kena."
                ),
                "state": "pending",
            },
        ],
    },
    {
        "author": "fransiska",
        "section": _INISIATIF,
        "body": (
            "Soal anggaran (huruf b): masalahnya sekarang kadang bukan kurang anggaran, tapi "
            "anggaran habis untuk membuat aplikasi baru lalu tidak ada biaya untuk merawatnya. "
            "Setahun kemudian aplikasinya error dan tidak ada yang bisa dihubungi. Mohon setiap "
            "proyek wajib menganggarkan pemeliharaan minimal beberapa tahun."
        ),
        "state": "pending",
        "replies": [],
    },
    {
        "author": "budi",
        "section": _INISIATIF,
        "body": (
            "Huruf d ttg kesenjangan akses internet. Jaman dulu solusinya warnet, sekarang warnet "
            "udah pada tutup. Masalahnya skrg kuota. Buat yg penghasilannya pas-pasan kayak saya, "
            "kuota sebulan itu lumayan lho. Kalau semua layanan wajib online, tolong ada wifi "
            "gratis di kelurahan & balai RW yg beneran jalan."
        ),
        "state": "published",
        "replies": [],
    },
    # Section: Strategi Pengembangan *E-Government*
    {
        "author": "dewi",
        "section": _STRATEGI,
        "body": (
            "Tentang Strategi 5, peningkatan kapasitas SDM dan e-literacy. Sebagai guru saya "
            "sering ikut pelatihan TIK, tetapi banyak yang sifatnya seremonial: dua hari di hotel, "
            "dapat sertifikat, lalu tidak ada tindak lanjut. Lebih bermanfaat jika ada "
            "pendampingan berkala di sekolah dan materi yang bisa dipelajari ulang lewat video "
            "pendek.\n\n"
            "Selain itu, literasi digital masyarakat sekarang juga harus mencakup cara mengenali "
            "hoaks, penipuan lewat tautan, dan cara menjaga data pribadi. Itu tidak disebut sama "
            "sekali di dokumen ini."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "made",
        "section": _STRATEGI,
        "body": (
            "Strategi 1 huruf b tentang portal yang mengintegrasikan layanan sehingga masyarakat "
            "tidak merasakan sekat-sekat organisasi sudah bagus dari dulu, tapi belum terwujud. "
            "Usul konkret: satu pintu masuk dengan login tunggal, nomor tiket yang sama untuk "
            "semua layanan, dan status yang bisa dilacak. Warga tidak perlu tahu urusannya milik "
            "dinas A atau kementerian B."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "tigor",
        "section": _STRATEGI,
        "body": (
            "Untuk Strategi 3 (standardisasi interoperabilitas, manajemen dokumen, PKI), beberapa "
            "masukan teknis:\n\n"
            "- Tetapkan standar API dan format data yang terbuka dan terdokumentasi, dan wajibkan "
            "instansi memakainya sebelum membangun aplikasi baru.\n"
            "- Tanda tangan elektronik tersertifikasi sudah ada, tinggal diwajibkan supaya tidak "
            "perlu lagi cetak, tanda tangan basah, lalu scan.\n"
            "- Pertimbangkan kebijakan open source untuk aplikasi yang dibiayai APBN/APBD, supaya "
            "pemda lain bisa memakai ulang dan tidak membeli aplikasi yang sama berkali-kali.\n"
            "- Sertakan persyaratan aksesibilitas untuk penyandang disabilitas, misalnya bisa "
            "dipakai dengan pembaca layar."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "andi",
        "section": _STRATEGI,
        "body": (
            "Strategi 4 masih nyebut warung internet. Warnet udah punah ji kak 😅 Mending diganti "
            "jadi pojok digital di kantor desa/kelurahan, ada wifi, ada printer, ada petugas yg "
            "bisa bantu. Anak muda karang taruna bisa dilibatkan."
        ),
        "state": "pending",
        "replies": [],
    },
    {
        "author": "made",
        "section": _STRATEGI,
        "body": (
            "PROMO SPESIAL! Jasa pembuatan website desa, aplikasi layanan kelurahan & sistem "
            "informasi dinas. Harga mulai 2 juta, garansi lolos penilaian SPBE, pengerjaan 3 hari "
            "jadi!!! Slot terbatas, DM kami sekarang juga, cek portofolio di profil. Diskon 20% "
            "untuk 10 pemesan pertama."
        ),
        "state": "rejected",
        "reject_reason": "spam",
        "replies": [],
    },
    # Section: Langkah Pelaksanaan
    {
        "author": "fajar",
        "section": _LANGKAH,
        "body": (
            "Poin 20 mewajibkan rencana strategis dan analisis kelayakan investasi. Usul saya, "
            "dokumen rencana dan hasil evaluasinya dipublikasikan, termasuk berapa anggaran yang "
            "dipakai dan berapa banyak warga yang benar-benar menggunakan layanan tersebut. "
            "Indikator keberhasilan sebaiknya jumlah urusan warga yang selesai, bukan jumlah "
            "aplikasi yang diluncurkan."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "maria",
        "section": _LANGKAH,
        "body": (
            "Poin 24 menyebut community tele-center untuk wilayah yang belum ekonomis bagi swasta. "
            "Wilayah seperti desa kami memang tidak menarik bagi operator, jadi peran pemerintah "
            "sangat menentukan. Saran saya, tele-center itu sekarang bentuknya bisa berupa wifi "
            "desa dan satu petugas pendamping, dan pengelolaannya diserahkan ke BUMDes supaya "
            "berkelanjutan."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "nurul",
        "section": _LANGKAH,
        "body": (
            "Poin 27 tentang koordinasi pusat dan daerah. Contoh nyata: data penerima bansos di "
            "desa sama di pusat sering beda. Ada tetangga saya yg udah meninggal masih terdaftar, "
            "yg bener2 butuh malah gak masuk. Tolong datanya disatukan dan bisa dicek warga."
        ),
        "state": "pending",
        "replies": [],
    },
    # Section: *Sistem Manajemen & Kelembagaan Back Office*
    {
        "author": "fransiska",
        "section": _BACK_OFFICE,
        "body": (
            "Lampiran soal anggaran menyebut uang pembayar pajak harus dipakai hati-hati. Saya "
            "setuju. Usul: setiap instansi mengumumkan daftar belanja TI tahunannya, termasuk "
            "aplikasi apa saja yang dibangun dan berapa biayanya. Dengan begitu publik bisa "
            "melihat kalau ada dua instansi membangun aplikasi yang sama."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "siti",
        "section": _BACK_OFFICE,
        "body": (
            "Layanan depannya memang sudah online, tapi di belakangnya masih manual. Waktu urus "
            "akta kelahiran anak, saya isi formulir online, lalu tetap disuruh datang bawa berkas "
            "cetak, dan petugasnya mengetik ulang data saya. Artinya back office-nya belum "
            "berubah. Bagian ini sebaiknya lebih tegas soal penataan proses kerja di belakang "
            "layar, bukan cuma situsnya."
        ),
        "state": "published",
        "replies": [],
    },
    {
        "author": "suparno",
        "section": _BACK_OFFICE,
        "body": (
            "Mohon sebagian anggaran pengembangan e-government dialokasikan untuk petugas "
            "pendamping di kelurahan, bukan hanya untuk membeli perangkat dan membuat aplikasi. "
            "Alat secanggih apa pun tidak berguna kalau warganya tidak bisa memakainya."
        ),
        "state": "pending",
        "replies": [],
    },
]

ASPIRATIONS: list[Aspiration] = [
    # Near-duplicate pair 1 (for the similar-aspirations demo): KTP-el not printed.
    {
        "author": "siti",
        "title": "KTP-el sudah 4 bulan belum dicetak, alasannya blangko kosong",
        "body": (
            "Selamat siang. Bulan Februari lalu saya melakukan perekaman ulang KTP-el di kantor "
            "kelurahan karena KTP lama saya rusak. Sampai sekarang, sudah empat bulan, KTP "
            "fisiknya belum juga dicetak. Setiap kali saya tanya, jawabannya selalu sama: blangko "
            "sedang kosong, disuruh menunggu kabar.\n\n"
            "Saya sudah diminta mengaktifkan IKD di HP, tapi di bank dan di rumah sakit masih "
            "diminta KTP fisik. Mohon kejelasan kapan blangko tersedia dan apakah bisa dicetak di "
            "tempat lain."
        ),
        "category": "kependudukan",
        "region": "31.74",
        "agency": "disdukcapil-dki",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Ibu Siti Rahmawati,\n\n"
            "Terima kasih atas laporan Ibu dan mohon maaf atas ketidaknyamanan yang Ibu alami. "
            "Keterlambatan pencetakan disebabkan oleh keterbatasan stok blangko KTP-el di tingkat "
            "kelurahan. Pekan ini kami telah menerima tambahan alokasi blangko, dan pencetakan "
            "untuk wilayah Jakarta Selatan kami prioritaskan sesuai urutan tanggal perekaman.\n\n"
            "Ibu dapat mengambil KTP-el di Suku Dinas Kependudukan dan Pencatatan Sipil Kota "
            "Administrasi Jakarta Selatan pada hari kerja pukul 08.00-15.00 dengan membawa surat "
            "keterangan perekaman atau bukti pengajuan. Layanan ini tidak dipungut biaya. Apabila "
            "dalam 14 hari kerja KTP-el belum dapat diambil, mohon balas tanggapan ini agar kami "
            "telusuri langsung.\n\n"
            "Hormat kami,\n"
            "Dinas Kependudukan dan Pencatatan Sipil Provinsi DKI Jakarta"
        ),
        "supporters": ["dewi", "andi", "fajar"],
    },
    {
        "author": "dewi",
        "title": "Rekam e-KTP anak saya sejak Januari tapi sampai sekarang belum jadi",
        "body": (
            "Anak saya baru 17 tahun dan sudah rekam e-KTP di kecamatan bulan Januari. Sampai "
            "sekarang kartunya belum jadi. Petugas bilang blangkonya habis dan belum ada kiriman. "
            "Padahal anak saya perlu KTP untuk daftar kuliah dan buka rekening. Kapan kira2 bisa "
            "dicetak? Apa ada cara lain selain menunggu tanpa kepastian?"
        ),
        "category": "kependudukan",
        "region": "31.75",
        "agency": "disdukcapil-dki",
        "visibility": "public",
        "state": "published",
        "supporters": ["siti", "suparno"],
    },
    # Near-duplicate pair 2: street lights out in Rungkut, Surabaya.
    {
        "author": "budi",
        "title": "Lampu penerangan jalan di kawasan Rungkut mati hampir sebulan",
        "body": (
            "Mohon perhatiannya. Lampu PJU di sepanjang jalan utama dekat pertigaan pasar di "
            "kawasan Rungkut sudah hampir sebulan mati, kurang lebih 8 tiang berturut-turut. Malam "
            "hari gelap sekali, banyak motor hampir nabrak orang nyebrang. Warga sudah lapor ke RT "
            "dan kelurahan tapi belum ada perbaikan."
        ),
        "category": "infrastruktur",
        "region": "35.78",
        "agency": "dishub-surabaya",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Bapak Budi Prasetyo,\n\n"
            "Terima kasih atas laporannya. Tim pemeliharaan penerangan jalan umum kami telah "
            "melakukan pengecekan lapangan di lokasi yang Bapak sampaikan. Hasilnya, terdapat "
            "kabel jaringan yang putus dan satu panel kontrol yang rusak sehingga delapan titik "
            "lampu padam.\n\n"
            "Perbaikan kabel dan penggantian panel dijadwalkan selesai paling lambat tujuh hari "
            "kerja sejak tanggapan ini. Selama perbaikan, kami memasang lampu sementara di titik "
            "penyeberangan dekat pasar. Apabila setelah batas waktu tersebut lampu masih padam, "
            "Bapak dapat membalas tanggapan ini agar kami tindak lanjuti kembali.\n\n"
            "Hormat kami,\n"
            "Dinas Perhubungan Kota Surabaya"
        ),
        "supporters": ["nurul", "andi", "siti"],
    },
    {
        "author": "nurul",
        "title": "Jalan gelap gulita di malam hari, warga takut lewat",
        "body": (
            "Jalan di dekat pasar Rungkut kalau malam gelap banget, lampunya mati semua udah lama. "
            "Minggu lalu ada ibu2 pulang kerja dijambret di situ. Sekarang anak saya yg pulang les "
            "saya jemput terus krn takut. Tolong lampunya dibenerin dan kalau bisa ada patroli. "
            "Saya gak tau ini harus lapor ke dinas mana."
        ),
        "category": "keamanan-ketertiban",
        "region": "35.78",
        "agency": None,
        "visibility": "anonymous",
        "state": "published",
        "supporters": ["budi", "andi", "dewi", "siti"],
    },
    # Near-duplicate pair 3: blocked drainage and flooding in Antapani, Bandung.
    {
        "author": "asep",
        "title": "Drainase tersumbat, tiap hujan deras jalan dan rumah warga kebanjiran",
        "body": (
            "Punten, mau lapor. Saluran drainase di sepanjang jalan depan kompleks kami di "
            "Kecamatan Antapani udah lama mampet, isinya lumpur sama sampah plastik. Tiap hujan "
            "deras sejam aja, air naik sampai selutut, masuk ke rumah-rumah yg posisinya lebih "
            "rendah. Motor banyak yg mogok.\n\n"
            "Warga udah kerja bakti ngeruk yg bisa dijangkau, tapi gorong-gorong di bawah jalan "
            "gak bisa kami bersihin sendiri. Mohon dinas turun tangan sebelum puncak musim hujan."
        ),
        "category": "infrastruktur",
        "region": "32.73",
        "agency": "dpupr-bandung",
        "visibility": "public",
        "state": "published",
        "supporters": ["suparno", "dewi", "fajar"],
    },
    {
        "author": "suparno",
        "title": "Mohon normalisasi selokan, air hujan sudah masuk ke rumah warga",
        "body": (
            "Dengan hormat, saya warga Antapani, Kota Bandung. Selokan di sepanjang jalan di depan "
            "kompleks kami sudah dangkal karena endapan lumpur dan sampah. Setiap hujan besar, air "
            "meluap ke jalan dan masuk ke rumah-rumah warga, termasuk rumah saya. Kami yang sudah "
            "tua kesulitan mengangkat barang setiap kali banjir. Mohon kiranya selokan dan "
            "gorong-gorongnya dikeruk dan diperbaiki. Terima kasih."
        ),
        "category": "infrastruktur",
        "region": "32.73",
        "agency": "dpupr-bandung",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Bapak Suparno Wiryo,\n\n"
            "Terima kasih atas laporan Bapak. Petugas kami telah meninjau lokasi dan mendapati "
            "sedimentasi berat serta sampah yang menyumbat gorong-gorong di bawah jalan. "
            "Pengerukan saluran dan pembersihan gorong-gorong dijadwalkan pekan depan oleh satuan "
            "tugas pemeliharaan drainase, bekerja sama dengan kecamatan dan kelurahan setempat.\n\n"
            "Untuk jangka panjang, ruas saluran tersebut telah kami usulkan masuk program "
            "peningkatan kapasitas drainase tahun anggaran berikutnya. Kami juga berkoordinasi "
            "dengan Dinas Lingkungan Hidup terkait pengangkutan sampah agar saluran tidak kembali "
            "tersumbat, dan mengimbau warga untuk tidak membuang sampah ke saluran.\n\n"
            "Hormat kami,\n"
            "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bandung"
        ),
        "supporters": ["asep"],
    },
    # Other aspirations.
    {
        "author": "tigor",
        "title": "Jalan berlubang besar di jalur sekolah, sudah beberapa pengendara motor jatuh",
        "body": (
            "Ada lubang besar di jalan menuju sekolah di Kecamatan Medan Johor, diameternya hampir "
            "satu meter dan cukup dalam. Kalau hujan tergenang, jadi tak kelihatan. Sudah beberapa "
            "kali pengendara motor jatuh, terakhir anak SMA. Warga cuma bisa pasang ban bekas "
            "sebagai tanda. Saya tak tahu ini jalan kota atau provinsi, mohon diteruskan ke "
            "instansi yang berwenang."
        ),
        "category": "infrastruktur",
        "region": "12.71",
        "agency": None,
        "visibility": "public",
        "state": "published",
        "supporters": ["andi"],
    },
    {
        "author": "nurul",
        "title": "Antrean puskesmas harus dari subuh, antrean online tidak berfungsi",
        "body": (
            "Assalamualaikum. Saya mau menyampaikan keluhan soal antrean di puskesmas kecamatan "
            "kami di Sidoarjo. Untuk dapat nomor antrean poli umum, warga harus datang dari jam 5 "
            "subuh, padahal pelayanan baru buka jam 7.30. Katanya ada antrean online, tapi setiap "
            "dicoba selalu 'kuota penuh' padahal baru jam 6 pagi.\n\n"
            "Banyak lansia dan ibu bawa balita yg harus nunggu berjam-jam di kursi plastik. Mohon "
            "sistem antreannya dibenahi dan ditambah petugas pendaftaran."
        ),
        "category": "kesehatan",
        "region": "35.15",
        "agency": "dinkes-jatim",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Ibu Nurul Hidayah,\n\n"
            "Terima kasih atas masukan Ibu. Puskesmas berada di bawah pengelolaan pemerintah "
            "kabupaten, sehingga laporan ini telah kami teruskan kepada Dinas Kesehatan Kabupaten "
            "Sidoarjo untuk ditindaklanjuti. Dari hasil koordinasi, kuota antrean online di "
            "puskesmas tersebut ternyata ditetapkan terlalu kecil dan akan disesuaikan dengan "
            "kapasitas layanan harian.\n\n"
            "Langkah yang disepakati: (1) penambahan satu loket pendaftaran pada jam sibuk pagi, "
            "(2) loket prioritas untuk lansia, ibu hamil, dan penyandang disabilitas, dan (3) "
            "sosialisasi pendaftaran antrean melalui aplikasi Mobile JKN bagi peserta JKN. Kami "
            "akan memantau pelaksanaannya selama satu bulan ke depan. Apabila kondisi belum "
            "membaik, mohon sampaikan kembali melalui kanal ini.\n\n"
            "Hormat kami,\n"
            "Dinas Kesehatan Provinsi Jawa Timur"
        ),
        "supporters": ["budi", "siti", "suparno", "maria", "made"],
    },
    {
        "author": "made",
        "title": "Sampah tidak diangkut sudah seminggu, menumpuk di depan balai banjar",
        "body": (
            "Om swastiastu. Sampah di TPS kecil depan balai banjar kami di Denpasar Barat sudah "
            "seminggu tidak diangkut. Baunya menyengat, banyak lalat, anjing liar mengacak-acak "
            "plastik sampai ke jalan. Apalagi sebentar lagi ada upacara di pura dekat situ. Mohon "
            "jadwal pengangkutan dikembalikan seperti biasa."
        ),
        "category": "lingkungan",
        "region": "51.71",
        "agency": None,
        "visibility": "public",
        "state": "pending",
        "supporters": [],
    },
    {
        "author": "maria",
        "title": "Desa kami belum ada sinyal 4G, anak sekolah harus naik bukit untuk kirim tugas",
        "body": (
            "Salam sejahtera. Kami warga sebuah desa di Pulau Timor, Nusa Tenggara Timur. Di desa "
            "kami sinyal HP hanya ada di beberapa titik, itu pun sering hilang. Untuk kirim tugas "
            "sekolah, anak-anak harus naik ke bukit sore hari. Perangkat desa juga kesulitan "
            "mengirim laporan dana desa dan data penduduk yang sekarang semuanya wajib online.\n\n"
            "Kami mohon desa kami dimasukkan dalam program pembangunan BTS atau diberikan akses "
            "internet desa. Kami siap menyediakan lahan bila diperlukan."
        ),
        "category": "teknologi-informasi",
        "region": "53",
        "agency": "komdigi",
        "visibility": "public",
        "state": "published",
        "supporters": ["andi", "fransiska", "made", "nurul", "tigor", "dewi"],
    },
    {
        "author": "fransiska",
        "title": "Portal perizinan online sering error saat unggah dokumen persyaratan",
        "body": (
            "Saya sedang mengurus izin usaha toko bangunan kecil. Setiap unggah dokumen PDF di "
            "portal perizinan, muncul pesan error atau loading terus sampai keluar sendiri. Sudah "
            "saya coba di laptop dan HP, pagi dan malam, hasilnya sama. Mau tanya ke helpdesk, "
            "teleponnya tidak pernah diangkat dan email tidak dibalas. Mohon diperbaiki, atau "
            "setidaknya dicantumkan ukuran file maksimal yang diterima."
        ),
        "category": "layanan-publik",
        "region": "61.71",
        "agency": None,
        "visibility": "public",
        "state": "published",
        "supporters": ["made", "asep"],
    },
    {
        "author": "fajar",
        "title": "Data pribadi saya diduga bocor setelah mendaftar di aplikasi layanan pemerintah",
        "body": (
            "Dengan hormat, sekitar dua minggu setelah saya mendaftar di sebuah aplikasi layanan "
            "pemerintah dengan mengunggah foto KTP dan swafoto, saya mulai menerima pesan WhatsApp "
            "dari pinjaman online yang menyebut nama lengkap, alamat rumah, dan tanggal lahir saya "
            "dengan benar. Saya tidak pernah mendaftar pinjaman online dan tidak pernah memberikan "
            "data tersebut ke pihak lain.\n\n"
            "Saya sampaikan secara rahasia karena menyangkut data pribadi. Mohon penjelasan apakah "
            "ada insiden kebocoran pada aplikasi tersebut, dan langkah apa yang harus saya lakukan "
            "untuk melindungi diri. Nama aplikasi dan tangkapan layar pesan dapat saya berikan "
            "kepada petugas."
        ),
        "category": "teknologi-informasi",
        "region": "33.74",
        "agency": "komdigi",
        "visibility": "confidential",
        "state": "responded",
        "response": (
            "Yth. Bapak Fajar Nugroho,\n\n"
            "Terima kasih telah menyampaikan laporan ini melalui kanal rahasia. Laporan Bapak "
            "telah kami teruskan kepada unit yang menangani pengawasan pelindungan data pribadi "
            "dan kepada penyelenggara aplikasi yang bersangkutan untuk dilakukan penelusuran. "
            "Apabila ditemukan kegagalan pelindungan data, penyelenggara wajib memberitahukannya "
            "kepada subjek data yang terdampak sesuai Undang-Undang Nomor 27 Tahun 2022.\n\n"
            "Sambil menunggu hasil penelusuran, kami menyarankan Bapak: (1) tidak menanggapi pesan "
            "tersebut dan tidak memberikan kode OTP kepada siapa pun, (2) mengaktifkan verifikasi "
            "dua langkah pada akun-akun penting, dan (3) melaporkan penawaran pinjaman online "
            "ilegal melalui kanal pengaduan resmi OJK. Petugas kami akan menghubungi Bapak melalui "
            "akun Rembug ini untuk meminta nama aplikasi dan tangkapan layar secara aman. Mohon "
            "tidak mengunggahnya di ruang publik.\n\n"
            "Hormat kami,\n"
            "Kementerian Komunikasi dan Digital"
        ),
        "supporters": [],
    },
    {
        "author": "dewi",
        "title": "Rumah hanya 900 meter dari SMP negeri tapi anak tidak diterima jalur domisili",
        "body": (
            "Tahun ini anak saya mendaftar SMP lewat SPMB (dulu PPDB) jalur domisili. Jarak rumah "
            "ke sekolah hanya sekitar 900 meter, tapi anak saya tidak diterima, sementara ada "
            "pendaftar yang rumahnya lebih jauh justru lolos. Banyak orang tua curiga ada yang "
            "menumpang KK di dekat sekolah.\n\n"
            "Saya kirim secara anonim karena tidak ingin anak saya dipersulit. Mohon ada "
            "verifikasi domisili yang lebih ketat dan daftar hasil seleksi dibuka lengkap dengan "
            "jaraknya."
        ),
        "category": "pendidikan",
        "region": "31.75",
        "agency": None,
        "visibility": "anonymous",
        "state": "published",
        "supporters": ["siti", "nurul", "asep"],
    },
    {
        "author": "budi",
        "title": "Parkir liar di depan pasar bikin macet, trotoar tidak bisa dilewati",
        "body": (
            "Tiap pagi sampai siang, depan pasar di kawasan Wonokromo penuh parkir motor liar "
            "sampai dua lapis, trotoar juga dipakai parkir. Pejalan kaki terpaksa jalan di badan "
            "jalan, angkot berhenti sembarangan, macet panjang. Jukirnya narik 5 ribu tanpa "
            "karcis. Mohon ditertibkan, rek, sudah bertahun-tahun kayak gini."
        ),
        "category": "transportasi",
        "region": "35.78",
        "agency": "dishub-surabaya",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Bapak Budi Prasetyo,\n\n"
            "Terima kasih atas laporan Bapak. Kami telah menjadwalkan penertiban parkir di lokasi "
            "tersebut bersama Satpol PP dan kecamatan setempat mulai pekan ini, dengan patroli "
            "rutin pada jam sibuk pagi hingga siang hari.\n\n"
            "Selain penertiban, kami akan memasang rambu larangan parkir di trotoar, menata ulang "
            "titik parkir resmi di tepi jalan, dan mewajibkan juru parkir resmi mengenakan rompi "
            "serta memberikan karcis atau menerima pembayaran nontunai. Warga yang menemukan juru "
            "parkir tanpa karcis dapat melaporkannya kembali melalui kanal ini dengan menyebutkan "
            "lokasi dan waktu kejadian.\n\n"
            "Hormat kami,\n"
            "Dinas Perhubungan Kota Surabaya"
        ),
        "supporters": ["nurul", "andi"],
    },
    {
        "author": "andi",
        "title": "Trayek pete-pete dipotong, sekarang harus naik dua kali ke kampus",
        "body": (
            "Sejak bulan lalu trayek pete-pete dari rumah ke kampus dipotong, jadi harus oper dua "
            "kali. Ongkos jadi dobel, waktu tempuh juga tambah lama. Mahasiswa sama pedagang pasar "
            "yg paling kena. Mohon dijelaskan alasannya dan kalau bisa trayek lama dikembalikan, "
            "atau ada bus kota yg lewat situ."
        ),
        "category": "transportasi",
        "region": "73.71",
        "agency": None,
        "visibility": "public",
        "state": "pending",
        "supporters": [],
    },
    {
        "author": "siti",
        "title": "Rujukan BPJS berjenjang membuat ibu saya bolak-balik setiap bulan",
        "body": (
            "Ibu saya pasien gagal ginjal yang harus kontrol rutin ke rumah sakit. Setiap bulan "
            "beliau harus mengurus rujukan baru dari puskesmas, padahal kondisinya sudah jelas dan "
            "jadwal kontrolnya tetap. Perjalanan bolak-balik sangat melelahkan untuk beliau yang "
            "sudah berusia 70 tahun.\n\n"
            "Saya kirim secara rahasia karena menyangkut kondisi kesehatan keluarga. Mohon "
            "dipertimbangkan rujukan yang berlaku lebih lama untuk pasien penyakit kronis."
        ),
        "category": "kesehatan",
        "region": "31.74",
        "agency": None,
        "visibility": "confidential",
        "state": "published",
        "supporters": [],
    },
    {
        "author": "suparno",
        "title": "Mohon loket layanan tatap muka tetap dibuka untuk warga lanjut usia",
        "body": (
            "Dengan hormat, sekarang banyak layanan yang hanya bisa diurus lewat aplikasi. Saya "
            "dan teman-teman pensiunan sering kesulitan: lupa kata sandi, tidak menerima kode OTP, "
            "atau tulisannya terlalu kecil. Ketika datang ke kantor, kami disuruh pulang dan "
            "mendaftar online dulu.\n\n"
            "Kami mohon setiap kantor layanan tetap menyediakan loket tatap muka dan petugas yang "
            "membantu warga lanjut usia dan penyandang disabilitas. Terima kasih."
        ),
        "category": "layanan-publik",
        "region": "32.73",
        "agency": None,
        "visibility": "public",
        "state": "published",
        "supporters": ["maria", "nurul", "siti", "dewi", "budi"],
    },
    {
        "author": "asep",
        "title": "Trotoar rusak dan dipenuhi lapak, pejalan kaki terpaksa turun ke jalan",
        "body": (
            "Trotoar di sekitar terminal Cicaheum banyak yang ubinnya lepas dan bolong, sisanya "
            "dipake lapak PKL. Pejalan kaki, apalagi yg bawa anak atau pake kursi roda, terpaksa "
            "jalan di aspal bareng angkot. Mohon trotoarnya diperbaiki dan ditata, PKL-nya juga "
            "dikasih tempat yg layak biar gak rebutan."
        ),
        "category": "infrastruktur",
        "region": "32.73",
        "agency": "dpupr-bandung",
        "visibility": "public",
        "state": "pending",
        "supporters": [],
    },
    {
        "author": "dewi",
        "title": "Diminta uang 'pelicin' oleh oknum petugas saat mengurus akta kelahiran",
        "body": (
            "Saya mengurus akta kelahiran anak kedua saya di kantor kelurahan. Seorang oknum "
            "petugas mengatakan prosesnya bisa lebih cepat jika saya membayar uang administrasi, "
            "padahal setahu saya layanan ini gratis. Saya tidak membayar, dan sampai sekarang "
            "berkas saya belum diproses.\n\n"
            "Saya laporkan secara rahasia karena khawatir dipersulit. Waktu kejadian dan ciri-ciri "
            "petugas dapat saya sampaikan kepada pemeriksa."
        ),
        "category": "kependudukan",
        "region": "31.75",
        "agency": "disdukcapil-dki",
        "visibility": "confidential",
        "state": "published",
        "supporters": [],
    },
    {
        "author": "nurul",
        "title": "Posyandu di dusun kami kekurangan timbangan dan alat ukur panjang badan",
        "body": (
            "Saya kader posyandu. Timbangan bayi di posyandu kami udah rusak, alat ukur panjang "
            "badan juga gak ada, jadi kami ngukur pake meteran jahit. Padahal katanya untuk "
            "program penurunan stunting data pengukurannya harus akurat. Udah usul ke desa tapi "
            "katanya gak ada anggaran. Mohon bantuannya. Sengaja saya kirim anonim krn gak enak "
            "sama perangkat desa."
        ),
        "category": "kesehatan",
        "region": "35.15",
        "agency": "dinkes-jatim",
        "visibility": "anonymous",
        "state": "pending",
        "supporters": [],
    },
    {
        "author": "made",
        "title": "Jasa pembuatan aplikasi layanan desa & website dinas, harga terjangkau!",
        "body": (
            "Butuh website desa atau aplikasi layanan kelurahan? Kami siap bantu! Desain modern, "
            "pesan hari ini jadi 3 hari, sudah dipakai puluhan instansi. Harga paket mulai 2 juta "
            "saja, gratis domain dan hosting setahun. Buruan DM, promo hanya bulan ini!!!"
        ),
        "category": "teknologi-informasi",
        "region": "51.71",
        "agency": None,
        "visibility": "public",
        "state": "rejected",
        "reject_reason": "spam",
        "supporters": [],
    },
    {
        "author": "tigor",
        "title": "Petugas dishub kerjanya cuma nongkrong, dasar gak becus",
        "body": (
            "Tiap hari lewat simpang itu macetnya parah, petugas dishub cuma duduk-duduk di pos "
            "sambil main HP. Dasar pemalas, makan gaji buta, preman berseragam! Kalian itu digaji "
            "pakai uang rakyat, otak kalian di mana?"
        ),
        "category": "transportasi",
        "region": "12.71",
        "agency": None,
        "visibility": "anonymous",
        "state": "rejected",
        "reject_reason": "abusive",
        "supporters": [],
    },
    {
        "author": "fransiska",
        "title": "Paket belanja online saya hilang, kurir tidak mau tanggung jawab",
        "body": (
            "Saya pesan barang di marketplace, statusnya sudah 'diterima' tapi barangnya tidak "
            "pernah sampai ke rumah. Sudah komplain ke kurir dan penjualnya, mereka saling lempar "
            "tanggung jawab. Tolong bantu supaya uang saya kembali."
        ),
        "category": "lainnya",
        "region": "61.71",
        "agency": None,
        "visibility": "public",
        "state": "rejected",
        "reject_reason": "off-topic",
        "supporters": [],
    },
    {
        "author": "maria",
        "title": "Mohon bantuan air bersih untuk dusun kami selama musim kemarau",
        "body": (
            "Selamat pagi. Di dusun kami sudah tiga bulan tidak turun hujan. Sumur warga banyak "
            "yang kering, dan mata air terdekat jaraknya dua jam jalan kaki. Air tangki yang "
            "dijual harganya mahal untuk keluarga petani. Mohon bantuan pengiriman air bersih dan, "
            "untuk jangka panjang, pembangunan sumur bor atau penampungan air hujan.\n\n"
            "Kalau petugas perlu survei lokasi, bisa hubungi saya di 0812-3456-7890, nanti saya "
            "yang antar ke dusun."
        ),
        "category": "lingkungan",
        "region": "53",
        "agency": None,
        "visibility": "public",
        "state": "pending",
        "supporters": [],
        "note": "contains personal data (for the moderation demo)",
    },
    {
        "author": "andi",
        "title": "KIS ibu saya tiba-tiba nonaktif padahal peserta PBI",
        "body": (
            "Ibu saya peserta BPJS PBI (iurannya dibayar pemerintah), tapi pas mau berobat ke "
            "puskesmas kartunya dibilang nonaktif. Gak ada pemberitahuan apa-apa sebelumnya. "
            "Padahal beliau harus berobat rutin tiap bulan. Gimana cara mengaktifkan lagi? Kalau "
            "ada petugas yg mau bantu, WA saya aja di 0813-0000-1234, makasih."
        ),
        "category": "kesehatan",
        "region": "73.71",
        "agency": None,
        "visibility": "public",
        "state": "pending",
        "supporters": [],
        "note": "contains personal data (for the moderation demo)",
    },
    {
        "author": "made",
        "title": "Sediakan kanal pengaduan dan informasi layanan publik lewat WhatsApp resmi",
        "body": (
            "Hampir semua warga sekarang pakai WhatsApp, termasuk orang tua di desa yang tidak "
            "pernah membuka website. Usul saya, setiap instansi pelayanan publik punya nomor "
            "WhatsApp resmi dengan akun bisnis terverifikasi untuk informasi dan pengaduan, "
            "terhubung dengan sistem tiket yang sama dengan website. Dengan begitu warga juga "
            "lebih mudah membedakan akun resmi dari akun penipu yang mengatasnamakan instansi."
        ),
        "category": "teknologi-informasi",
        "region": "51.71",
        "agency": "komdigi",
        "visibility": "public",
        "state": "published",
        "supporters": ["suparno", "nurul", "maria", "budi"],
    },
    {
        "author": "fajar",
        "title": "Halte Trans Semarang rusak, atapnya bocor dan lantainya berlubang",
        "body": (
            "Halte BRT Trans Semarang di dekat kampus atapnya bocor, lantainya bolong di beberapa "
            "bagian, dan lampunya mati. Kalau hujan penumpang basah kuyup, malam hari gelap dan "
            "rawan. Mohon segera diperbaiki karena banyak mahasiswa dan pekerja yang bergantung "
            "pada halte ini."
        ),
        "category": "transportasi",
        "region": "33.74",
        "agency": None,
        "visibility": "anonymous",
        "state": "pending",
        "supporters": [],
    },
    {
        "author": "asep",
        "title": "Pengajuan PBG lewat SIMBG sudah 3 bulan tidak ada kejelasan",
        "body": (
            "Saya mengajukan Persetujuan Bangunan Gedung (PBG) untuk renovasi rumah tinggal lewat "
            "SIMBG sejak tiga bulan lalu. Statusnya masih 'verifikasi dokumen' terus, gak ada "
            "catatan kurang apa. Pas ditanya ke kantor, disuruh nunggu. Padahal kontraktor udah "
            "nunggu dan harga bahan bangunan makin naik. Mohon kejelasan, kalau memang ada dokumen "
            "yang kurang tolong disampaikan."
        ),
        "category": "layanan-publik",
        "region": "32.73",
        "agency": "dpupr-bandung",
        "visibility": "public",
        "state": "responded",
        "response": (
            "Yth. Bapak Asep Saepudin,\n\n"
            "Terima kasih atas laporan Bapak dan mohon maaf atas keterlambatannya. Setelah kami "
            "periksa, berkas Bapak tertahan karena gambar rencana teknis belum dilengkapi "
            "perhitungan struktur, namun catatan tersebut belum tersampaikan melalui SIMBG. Kami "
            "telah memperbaiki catatan pada sistem sehingga rincian kekurangan dokumen kini dapat "
            "Bapak lihat pada akun SIMBG Bapak.\n\n"
            "Setelah dokumen dilengkapi, penilaian oleh tim teknis dijadwalkan paling lambat "
            "sepuluh hari kerja. Bapak juga dapat berkonsultasi langsung di loket konsultasi PBG "
            "pada hari kerja. Untuk tahap penerbitan, kami berkoordinasi dengan DPMPTSP Kota "
            "Bandung dan akan memantau berkas Bapak hingga selesai.\n\n"
            "Hormat kami,\n"
            "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bandung"
        ),
        "supporters": ["fransiska"],
    },
    {
        "author": "andi",
        "title": "Kanal dekat permukiman penuh sampah dan bau, jadi sarang nyamuk",
        "body": (
            "Kanal di dekat rumah saya di Makassar penuh sampah plastik, airnya hitam dan baunya "
            "sampai ke dalam rumah. Musim hujan kemarin airnya meluap. Banyak nyamuk, tetangga ada "
            "yg kena DBD. Tolong dibersihkan dan dipasang jaring sampah, terus warga yg buang "
            "sampah sembarangan ditegur."
        ),
        "category": "lingkungan",
        "region": "73.71",
        "agency": None,
        "visibility": "anonymous",
        "state": "published",
        "supporters": ["made"],
    },
    {
        "author": "budi",
        "title": "Oknum petugas minta biaya tambahan untuk surat keterangan sehat",
        "body": (
            "Waktu saya bikin surat keterangan sehat di puskesmas untuk syarat kerja, saya diminta "
            "bayar lebih dari tarif yang tertulis di papan, katanya biar cepat dan tidak perlu "
            "antre. Saya bayar karena butuh suratnya hari itu juga. Belakangan saya tahu banyak "
            "yang mengalami hal serupa. Saya laporkan secara rahasia, mohon ditindaklanjuti."
        ),
        "category": "kesehatan",
        "region": "35.78",
        "agency": "dinkes-jatim",
        "visibility": "confidential",
        "state": "pending",
        "supporters": [],
    },
]
