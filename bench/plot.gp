# gnuplot -e "dir='out/bench'; boots='default init_on_alloc_0'" bench/plot.gp
# Instructions per hot pair by size, both allocators, log-log.
set terminal pngcairo size 1000,620 font ",10" noenhanced
set output dir."/insns_by_size.png"
set title "Hot pair (alloc+free), guest instructions per pair, Debian 6.1 under QEMU TCG\n(loop overhead subtracted; REP string instruction counted once)"
set xlabel "object size (bytes)"
set ylabel "instructions per pair"
set logscale x 2
set logscale y 10
set xtics ("8" 8, "32" 32, "128" 128, "512" 512, "2K" 2048, "8K" 8192, "32K" 32768, "128K" 131072, "512K" 524288, "1M" 1048576)
set grid
set key top left
set style line 1 lc rgb "#1b9e77" lw 2 pt 7
set style line 2 lc rgb "#d95f02" lw 2 pt 5
set style line 3 lc rgb "#7570b3" lw 2 pt 9
first = word(boots, 1)
plot for [b in boots] for [i=1:3] \
	sprintf("%s/raw/hot-%s-%s.dat", dir, b, word("gomalloc kmalloc kmem_cache", i)) \
	using 1:2 with linespoints ls i dt (b eq first ? 1 : 2) \
	title sprintf("%s (%s)", word("gomalloc kmalloc kmem_cache", i), b)
