# gnuplot -e "dir='out/bench'; boots='default init_on_alloc_0 6.12'" bench/plot.gp
# Instructions per hot pair by object size, gomalloc and SLUB, log-log.
# One line style per allocator; solid for the first boot, dashed for the next.
set terminal pngcairo size 1000,620 font ",10" noenhanced
set output dir."/insns_by_size.png"
set title "Hot pair (alloc + free of one object): guest instructions per pair\nDebian 6.1 and 6.12 under QEMU TCG, counted by the gmcount plugin; loop overhead subtracted, REP string instruction = 1"
set xlabel "object size (bytes)"
set ylabel "instructions per pair"
set logscale x 2
set logscale y 10
set xtics ("8" 8, "32" 32, "128" 128, "512" 512, "2K" 2048, "8K" 8192, "32K" 32768, "128K" 131072, "512K" 524288, "1M" 1048576)
set grid
set key top left
names = "gomalloc kmalloc kmem_cache"
colors = "#1b9e77 #d95f02 #7570b3"
plot for [j=1:words(boots)] for [i=1:3] \
	sprintf("%s/raw/hot-%s-%s.dat", dir, word(boots, j), word(names, i)) \
	using 1:2 with linespoints lw 2 pt (5 + 2 * i) lc rgb word(colors, i) dt j \
	title sprintf("%s (%s boot)", word(names, i), word(boots, j))
